using MicrogradPlus.Backends;

namespace MicrogradPlus.Nn;

/// <summary>
/// The losses that take float targets (probabilities, regression targets, distributions), each with PyTorch's
/// reductions — "mean" (the default), "sum" or "none" (the element-wise loss) — and composed of differentiable
/// tensor ops, so gradients of every order exist.
/// </summary>
public static partial class Functional
{
    /// <summary>
    /// Binary cross-entropy of probabilities p ∈ [0, 1] against targets t ∈ [0, 1] of the same shape
    /// (torch.nn.functional.binary_cross_entropy): ℓ = −w·(t·log p + (1 − t)·log(1 − p)), each log clamped at −100
    /// as PyTorch does, so p = 0 or 1 gives a finite loss. The optional <paramref name="weight"/> broadcasts to the
    /// input. The probabilities are not checked to lie in [0, 1] (that would wait for the device).
    /// </summary>
    /// <remarks>∂ℓ/∂p = w·(p − t)/(p·(1 − p)) where the clamps are inactive, 0 through a clamped log.</remarks>
    /// <param name="input">Probabilities p in [0, 1].</param>
    /// <param name="target">Targets t in [0, 1], of the input's shape.</param>
    /// <param name="weight">Weights that broadcast to the input, or null (default) for 1.</param>
    /// <param name="reduction">"mean" (default), "sum" or "none" (the element-wise losses).</param>
    /// <returns>A zero-dimensional loss for "mean" and "sum"; for "none" a tensor of the input's shape.</returns>
    /// <exception cref="ArgumentException">Shapes differ, or <paramref name="reduction"/> is unknown.</exception>
    public static Tensor BinaryCrossEntropy(Tensor input, Tensor target, Tensor? weight = null,
        string reduction = "mean")
    {
        RequireSameShape(input, target, "BinaryCrossEntropy");
        CheckReduction(reduction, "BinaryCrossEntropy");
        var logP = input.Log().ClampMin(-100f);
        var logNotP = (1f - input).Log().ClampMin(-100f);
        var loss = -(target * logP + (1f - target) * logNotP);
        return Reduce(weight is null ? loss : loss * weight, reduction);
    }

    /// <summary>
    /// Mean binary cross-entropy on logits x with targets t ∈ [0, 1] of the same shape
    /// (torch.nn.functional.binary_cross_entropy_with_logits), in the stable form ℓ = (1 − t)·x + softplus(−x),
    /// softplus(−x) = −log σ(x) computed without overflow.
    /// </summary>
    /// <remarks>∂ℓ/∂x = σ(x) − t per element (½ − t at x = 0, as PyTorch's), divided by N for the mean.</remarks>
    /// <param name="logits">The logits x.</param>
    /// <param name="targets">Targets t in [0, 1], of the logits' shape.</param>
    /// <returns>The zero-dimensional mean loss.</returns>
    /// <exception cref="ArgumentException">Shapes differ.</exception>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor targets) =>
        BinaryCrossEntropyWithLogits(logits, targets, null, null, "mean");

    /// <summary>
    /// Binary cross-entropy on logits with a reduction and optional weights: <paramref name="weight"/> (w)
    /// broadcasts to the input; <paramref name="posWeight"/> (pw) weighs the positive term and broadcasts over the
    /// last axis (one value per class), as in PyTorch. Null weights are 1.
    /// </summary>
    /// <remarks>
    /// ℓ = w·((1 − t)·x + (1 + (pw − 1)·t)·softplus(−x)); ∂ℓ/∂x = w·((1 − t) − (1 + (pw − 1)·t)·σ(−x)).
    /// </remarks>
    /// <param name="logits">The logits x.</param>
    /// <param name="targets">Targets t in [0, 1], of the logits' shape.</param>
    /// <param name="weight">Weights that broadcast to the logits, or null for 1.</param>
    /// <param name="posWeight">Weights of the positive term, broadcast over the last axis (one per class), or null for
    /// 1.</param>
    /// <param name="reduction">"mean", "sum" or "none" (the element-wise losses).</param>
    /// <returns>A zero-dimensional loss for "mean" and "sum"; for "none" a tensor of the logits' shape.</returns>
    /// <exception cref="ArgumentException">Shapes differ, or <paramref name="reduction"/> is unknown.</exception>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor targets, Tensor? weight,
        Tensor? posWeight = null, string reduction = "mean")
    {
        RequireSameShape(logits, targets, "BinaryCrossEntropyWithLogits");
        CheckReduction(reduction, "BinaryCrossEntropyWithLogits");
        var softplusNeg = -logits.LogSigmoid();
        var positive = posWeight is null ? softplusNeg : ((posWeight - 1f) * targets + 1f) * softplusNeg;
        var loss = (1f - targets) * logits + positive;
        return Reduce(weight is null ? loss : loss * weight, reduction);
    }

    /// <summary>
    /// Mean squared error with a reduction: (x − t)² summed ("sum"), averaged ("mean", the fused
    /// <see cref="Mse(Tensor, Tensor)"/>) or element-wise ("none"). Shapes must match.
    /// </summary>
    /// <remarks>∂ℓ/∂x = 2(x − t) per element (divided by N for "mean").</remarks>
    /// <param name="prediction">The predictions x.</param>
    /// <param name="target">The targets t, of the prediction's shape.</param>
    /// <param name="reduction">"mean", "sum" or "none" (the element-wise losses).</param>
    /// <returns>A zero-dimensional loss for "mean" and "sum"; for "none" a tensor of the prediction's shape.</returns>
    /// <exception cref="ArgumentException">Shapes differ, or <paramref name="reduction"/> is unknown.</exception>
    public static Tensor Mse(Tensor prediction, Tensor target, string reduction)
    {
        RequireSameShape(prediction, target, "Mse");
        CheckReduction(reduction, "Mse");
        return reduction == "mean" ? Tensor.Mse(prediction, target) : Reduce((prediction - target).Square(), reduction);
    }

    /// <summary>Mean absolute error |x − t| with a reduction (torch.nn.functional.l1_loss). Shapes must match.</summary>
    /// <remarks>∂ℓ/∂x = sign(x − t), 0 where x = t (as PyTorch's).</remarks>
    /// <param name="input">The predictions x.</param>
    /// <param name="target">The targets t, of the input's shape.</param>
    /// <param name="reduction">"mean" (default), "sum" or "none" (the element-wise losses).</param>
    /// <returns>A zero-dimensional loss for "mean" and "sum"; for "none" a tensor of the input's shape.</returns>
    /// <exception cref="ArgumentException">Shapes differ, or <paramref name="reduction"/> is unknown.</exception>
    public static Tensor L1Loss(Tensor input, Tensor target, string reduction = "mean")
    {
        RequireSameShape(input, target, "L1Loss");
        CheckReduction(reduction, "L1Loss");
        return Reduce((input - target).Abs(), reduction);
    }

    /// <summary>
    /// Smooth L1 loss (torch.nn.functional.smooth_l1_loss): with d = x − t, ½d²/β where |d| &lt; β, else |d| − ½β;
    /// β = 0 is the L1 loss. Shapes must match.
    /// </summary>
    /// <remarks>∂ℓ/∂x = d/β where |d| &lt; β, else sign(d): continuous at |d| = β.</remarks>
    /// <param name="input">The predictions x.</param>
    /// <param name="target">The targets t, of the input's shape.</param>
    /// <param name="reduction">"mean" (default), "sum" or "none" (the element-wise losses).</param>
    /// <param name="beta">β ≥ 0, where the loss changes from quadratic to linear (default 1).</param>
    /// <returns>A zero-dimensional loss for "mean" and "sum"; for "none" a tensor of the input's shape.</returns>
    /// <exception cref="ArgumentException">Shapes differ, β is negative or NaN, or the reduction is unknown.</exception>
    public static Tensor SmoothL1Loss(Tensor input, Tensor target, string reduction = "mean", float beta = 1f)
    {
        RequireSameShape(input, target, "SmoothL1Loss");
        CheckReduction(reduction, "SmoothL1Loss");
        if (!(beta >= 0f))
        {
            throw new ArgumentException($"SmoothL1Loss: beta must be non-negative, got {beta}", nameof(beta));
        }
        var d = input - target;
        var ad = d.Abs();
        if (beta == 0f)
        {
            return Reduce(ad, reduction);
        }
        var small = ad.Lt(beta);
        return Reduce(Tensor.Where(small, d.Square() * (0.5f / beta), ad - 0.5f * beta), reduction);
    }

    /// <summary>
    /// Huber loss (torch.nn.functional.huber_loss): with d = x − t, ½d² where |d| &lt; δ, else δ·(|d| − ½δ).
    /// Shapes must match.
    /// </summary>
    /// <remarks>∂ℓ/∂x = d where |d| &lt; δ, else δ·sign(d).</remarks>
    /// <param name="input">The predictions x.</param>
    /// <param name="target">The targets t, of the input's shape.</param>
    /// <param name="reduction">"mean" (default), "sum" or "none" (the element-wise losses).</param>
    /// <param name="delta">δ, where the loss changes from quadratic to linear (default 1).</param>
    /// <returns>A zero-dimensional loss for "mean" and "sum"; for "none" a tensor of the input's shape.</returns>
    /// <exception cref="ArgumentException">Shapes differ, δ is not positive, or the reduction is unknown.</exception>
    public static Tensor HuberLoss(Tensor input, Tensor target, string reduction = "mean", float delta = 1f)
    {
        RequireSameShape(input, target, "HuberLoss");
        CheckReduction(reduction, "HuberLoss");
        if (!(delta > 0f))
        {
            throw new ArgumentException($"HuberLoss: delta must be positive, got {delta}", nameof(delta));
        }
        var d = input - target;
        var ad = d.Abs();
        var small = ad.Lt(delta);
        return Reduce(Tensor.Where(small, d.Square() * 0.5f, (ad - 0.5f * delta) * delta), reduction);
    }

    /// <summary>
    /// Kullback–Leibler divergence (torch.nn.functional.kl_div) of log-probabilities <paramref name="input"/> from
    /// the target distribution: ℓ = t·(log t − x), 0 where t = 0; with <paramref name="logTarget"/> the target holds
    /// log t and ℓ = eᵗ·(t − x). Reductions as PyTorch's: "mean" over all elements, "batchmean" the sum divided by
    /// the first dimension (the mathematically proper KL), "sum", "none". Shapes must match.
    /// </summary>
    /// <remarks>
    /// ∂ℓ/∂x = −t (−eᵗ with a log target); ∂ℓ/∂t = log t + 1 − x where t &gt; 0 (eᵗ·(t − x + 1) with a log target).
    /// log t is taken of t where t &gt; 0 and of 1 elsewhere, so no NaN reaches the gradient through the masked branch.
    /// </remarks>
    /// <param name="input">Log-probabilities x.</param>
    /// <param name="target">The target distribution t (log-probabilities with <paramref name="logTarget"/>), of the
    /// input's shape.</param>
    /// <param name="reduction">"mean" (default), "batchmean" (the sum divided by the batch size), "sum" or
    /// "none".</param>
    /// <param name="logTarget">The target holds log-probabilities (default false).</param>
    /// <returns>A zero-dimensional loss, or for "none" a tensor of the input's shape.</returns>
    /// <exception cref="ArgumentException">Shapes differ, or <paramref name="reduction"/> is unknown.</exception>
    public static Tensor KlDiv(Tensor input, Tensor target, string reduction = "mean", bool logTarget = false)
    {
        RequireSameShape(input, target, "KlDiv");
        if (reduction != "batchmean")
        {
            CheckReduction(reduction, "KlDiv", "\"batchmean\", ");
        }
        Tensor loss;
        if (logTarget)
        {
            loss = target.Exp() * (target - input);
        }
        else
        {
            var positive = target.Gt(0f);
            var safeLog = Tensor.Where(positive, target, 1f).Log();
            loss = Tensor.Where(positive, target * (safeLog - input), 0f);
        }
        if (reduction != "batchmean")
        {
            return Reduce(loss, reduction);
        }
        int batch = input.Rank == 0 ? 1 : input.ShapeRef[0];
        return loss.Sum() / batch;
    }

    /// <summary>
    /// Cosine similarity of <paramref name="a"/> and <paramref name="b"/> along <paramref name="axis"/> (negative
    /// counts from the end) after broadcasting them together (torch.nn.functional.cosine_similarity):
    /// Σab / √max(Σa²·Σb², ε²). The axis is removed from the result.
    /// </summary>
    /// <remarks>
    /// Composed of products, sums, a clamp and a square root, so the gradient is
    /// ∂/∂a = b/n − (Σab)·a·Σb²/n³ with n = √(Σa²·Σb²) (zero through the clamp where n² &lt; ε²), summed back to each
    /// input's shape.
    /// </remarks>
    /// <param name="a">The first operand.</param>
    /// <param name="b">The second operand; broadcasts with <paramref name="a"/>.</param>
    /// <param name="axis">The axis along which vectors are compared (default 1); negative counts from the end.</param>
    /// <param name="eps">ε: the denominator ‖a‖·‖b‖ is taken as at least ε (default 1e-8), so zero vectors give
    /// 0, not NaN.</param>
    /// <returns>A new tensor of the broadcast shape without <paramref name="axis"/>, values in [−1, 1].</returns>
    /// <exception cref="ArgumentException">The shapes do not broadcast, or the axis is out of range.</exception>
    public static Tensor CosineSimilarity(Tensor a, Tensor b, int axis = 1, float eps = 1e-8f)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        int[] shape = Shapes.Broadcast(a.ShapeRef, b.ShapeRef);
        a = a.Expand(shape);
        b = b.Expand(shape);
        var ab = (a * b).Sum(axis);
        var aa = (a * a).Sum(axis);
        var bb = (b * b).Sum(axis);
        return ab / (aa * bb).ClampMin(eps * eps).Sqrt();
    }

    private static Tensor Reduce(Tensor loss, string reduction) => reduction switch
    {
        "mean" => loss.Mean(),
        "sum" => loss.Sum(),
        _ => loss,
    };

    private static void CheckReduction(string reduction, string what, string extra = "")
    {
        ArgumentNullException.ThrowIfNull(reduction);
        if (reduction is not ("mean" or "sum" or "none"))
        {
            throw new ArgumentException(
                $"{what}: reduction must be \"mean\", \"sum\", {extra}or \"none\", got \"{reduction}\"",
                nameof(reduction));
        }
    }
}
