using MicrogradPlus.Backends;

namespace MicrogradPlus.Nn;

/// <summary>
/// Loss functions with the math in each summary — a few lines of differentiable tensor ops each, except cross-entropy
/// and mean squared error, which are fused ops (src/Tensor/Ops/CrossEntropy.cs, Mse.cs) as in PyTorch — and the
/// functional form of the linear layer.
/// </summary>
public static partial class Functional
{
    /// <summary>
    /// Mean cross-entropy of <paramref name="logits"/> [N, C] against class indices:
    /// −(1/N)·Σₙ log_softmax(logits)[n, targetₙ], computed stably (log-sum-exp after subtracting the row maximum) by a
    /// fused kernel — two launches forward, one backward — for up to 64 classes on GPUs and any number on the CPU.
    /// Every target is checked to lie in [0, C).
    /// </summary>
    /// <param name="logits">Unnormalised scores, [N, C].</param>
    /// <param name="targets">The class of each row, N integers in [0, C).</param>
    /// <returns>The mean loss, a one-element tensor (call <see cref="Tensor.Backward(Tensor?, bool, bool)"/> on it).</returns>
    public static Tensor CrossEntropy(Tensor logits, int[] targets)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        if (logits.Rank != 2)
        {
            throw new ArgumentException(
                $"CrossEntropy expects logits of shape [N, C], got {Shapes.Format(logits.ShapeRef)}");
        }
        int n = logits.ShapeRef[0], classes = logits.ShapeRef[1];
        if (targets.Length != n)
        {
            throw new ArgumentException($"CrossEntropy: {targets.Length} targets for {n} rows of logits " +
                                        $"{Shapes.Format(logits.ShapeRef)}");
        }
        for (int i = 0; i < n; i++)
        {
            if (targets[i] < 0 || targets[i] >= classes)
            {
                throw new ArgumentOutOfRangeException(nameof(targets),
                    $"CrossEntropy: target {targets[i]} at position {i} is outside [0, {classes})");
            }
        }
        return Tensor.CrossEntropy(logits, targets);
    }

    /// <summary>
    /// Mean squared error: (1/N)·Σ (prediction − target)², by a fused op (src/Tensor/Ops/Mse.cs) — two launches
    /// forward, one backward; NaN for empty inputs, as in PyTorch. Shapes must match exactly; any strides.
    /// </summary>
    /// <param name="prediction">The model's output.</param>
    /// <param name="target">The wanted output, of the same shape.</param>
    /// <returns>The mean loss, a one-element tensor.</returns>
    public static Tensor Mse(Tensor prediction, Tensor target)
    {
        RequireSameShape(prediction, target, "Mse");
        return Tensor.Mse(prediction, target);
    }

    /// <summary>
    /// micrograd's max-margin loss: mean(relu(1 − y·s)) for scores s and labels y ∈ {−1, +1} of the same shape.
    /// </summary>
    /// <param name="scores">The scores s.</param>
    /// <param name="labels">The labels y ∈ {−1, +1}, of the scores' shape.</param>
    /// <returns>The zero-dimensional mean loss.</returns>
    public static Tensor Hinge(Tensor scores, Tensor labels)
    {
        RequireSameShape(scores, labels, "Hinge");
        return (1f - labels * scores).Relu().Mean();
    }

    /// <summary>
    /// y = x·Wᵀ + b (torch.nn.functional.linear): <paramref name="input"/> [..., in] (or [in]),
    /// <paramref name="weight"/> [out, in], <paramref name="bias"/> [out] or null; y is [..., out] (or [out]). One
    /// launch: the product adds the bias as it stores each row, and the transpose is a kernel flag, so the weight's
    /// gradient (Gᵀ·x) comes out in the weight's own layout.
    /// </summary>
    /// <param name="input">The input x [..., in] or [in].</param>
    /// <param name="weight">The weight W [out, in].</param>
    /// <param name="bias">The bias b [out], or null (default) for none.</param>
    /// <returns>A new tensor [..., out] (or [out]).</returns>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null) =>
        Linear(input, weight, bias, Epilogue.None);

    /// <summary>
    /// <see cref="Linear(Tensor, Tensor, Tensor?)"/>, then the <paramref name="activation"/>: in the same launch as the
    /// product, equal bit for bit to the two ops (see <see cref="Sequential"/>, which pairs them).
    /// </summary>
    internal static Tensor Linear(Tensor input, Tensor weight, Tensor? bias, Epilogue activation)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 2 || input.Rank == 0 || input.ShapeRef[^1] != weight.ShapeRef[1])
        {
            throw new ArgumentException(
                $"Linear: input of shape {Shapes.Format(input.ShapeRef)} and weight of shape " +
                $"{Shapes.Format(weight.ShapeRef)} do not fit: the weight must be [out, in] with in the input's last " +
                "dimension");
        }
        if (bias is not null && (bias.Rank != 1 || bias.ShapeRef[0] != weight.ShapeRef[0]))
        {
            throw new ArgumentException(
                $"Linear: bias of shape {Shapes.Format(bias.ShapeRef)} does not fit weight of shape " +
                $"{Shapes.Format(weight.ShapeRef)}: it must be {Shapes.Format([weight.ShapeRef[0]])}");
        }
        if (input.Rank >= 2)
        {
            return Tensor.MatMulT(input, weight, false, true, bias, activation);
        }
        return Tensor.MatMulT(input.Reshape(1, input.ShapeRef[0]), weight, false, true, bias, activation)
            .Reshape(weight.ShapeRef[0]);
    }

    private static void RequireSameShape(Tensor a, Tensor b, string what)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (!a.ShapeRef.AsSpan().SequenceEqual(b.ShapeRef))
        {
            throw new ArgumentException(
                $"{what}: input shape {Shapes.Format(a.ShapeRef)} and target shape {Shapes.Format(b.ShapeRef)} differ");
        }
    }
}
