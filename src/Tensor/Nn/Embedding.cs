using MicrogradPlus.Backends;

namespace MicrogradPlus.Nn;

/// <summary>
/// A lookup table of <see cref="Count"/> vectors of <see cref="Dim"/> numbers, as torch.nn.Embedding: the forward
/// maps an Int32 tensor of indices of any shape to their rows, shape input.Shape + [dim].
/// </summary>
/// <remarks>
/// y[…, :] = W[index[…], :] (<see cref="Tensor.IndexSelect"/> on the weight). ∂L/∂W[r] = Σ over positions holding r
/// of ∂L/∂y there (an index-add); the row <see cref="PaddingIdx"/>, when set, gets no gradient and starts at zero,
/// so it stays whatever it is set to. The weight starts N(0, 1) like PyTorch's, drawn from <c>seed</c> when given,
/// else from the generator <see cref="Tensor.ManualSeed"/> resets.
/// </remarks>
public sealed class Embedding : Module
{
    /// <summary>A table of <paramref name="count"/> rows of <paramref name="dim"/> numbers.</summary>
    /// <param name="count">Number of rows (the vocabulary size).</param>
    /// <param name="dim">Length of each row.</param>
    /// <param name="paddingIdx">A row that starts at zero and gets no gradient (negative counts from the end).</param>
    /// <param name="device">Where the weight lives (default: <see cref="Device.Default"/>).</param>
    /// <param name="seed">The weight's seed; null draws from the global generator.</param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// A count or dimension below 1, or a padding index outside −count..count−1.
    /// </exception>
    public Embedding(int count, int dim, int? paddingIdx = null, Device? device = null, ulong? seed = null)
    {
        if (count <= 0 || dim <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count),
                $"Embedding needs a positive count and dimension, got count={count}, dim={dim}");
        }
        if (paddingIdx is { } p && (p < -count || p >= count))
        {
            throw new ArgumentOutOfRangeException(nameof(paddingIdx),
                $"Embedding: paddingIdx {p} is outside −{count}..{count - 1}");
        }
        Count = count;
        Dim = dim;
        PaddingIdx = paddingIdx is { } q && q < 0 ? q + count : paddingIdx;
        using (Autograd.NoGrad())
        {
            var weight = Tensor.Randn([count, dim], seed, device ?? Device.Default);
            if (PaddingIdx is { } row)
            {
                using var zeros = Tensor.Zeros([1, dim], weight.Device);
                using var padding = weight.Slice(0, row, row + 1);
                padding.CopyFrom(zeros);
            }
            weight.RequiresGrad = true;
            Weight = RegisterParameter("weight", weight);
        }
    }

    /// <summary>Number of rows.</summary>
    public int Count { get; }

    /// <summary>Length of each row.</summary>
    public int Dim { get; }

    /// <summary>The row that gets no gradient (normalized to 0..count−1), or null.</summary>
    public int? PaddingIdx { get; }

    /// <summary>[count, dim].</summary>
    public Tensor Weight { get; }

    /// <summary>The rows of <paramref name="input"/>'s indices: shape input.Shape + [dim].</summary>
    /// <param name="input">An Int32 tensor of indices in [0, count), on the weight's device.</param>
    /// <returns>The looked-up rows, shape input.Shape + [dim].</returns>
    /// <exception cref="ArgumentException">The input is not an Int32 tensor on the weight's device.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, count).</exception>
    public override Tensor Forward(Tensor input) => Functional.Embedding(input, Weight, PaddingIdx);

    /// <summary>"Embedding(10, 3, padding_idx=0)".</summary>
    /// <returns>The layer in torch's format.</returns>
    public override string ToString() =>
        $"Embedding({Count}, {Dim}{(PaddingIdx is { } p ? $", padding_idx={p}" : "")})";
}

public static partial class Functional
{
    /// <summary>
    /// The rows of <paramref name="weight"/> [count, dim] at the Int32 indices of <paramref name="input"/>
    /// (torch.nn.functional.embedding): shape input.Shape + [dim]. The row <paramref name="paddingIdx"/> (0..count−1),
    /// when given, gets no gradient.
    /// </summary>
    /// <remarks>
    /// y = weight.IndexSelect(0, input.Reshape(−1)).Reshape(input.Shape + [dim]); ∂L/∂weight is the index-add of
    /// ∂L/∂y, times a row mask that is 0 at the padding row.
    /// </remarks>
    /// <param name="input">An Int32 tensor of indices in [0, count), on the weight's device.</param>
    /// <param name="weight">The table [count, dim].</param>
    /// <param name="paddingIdx">A row that gets no gradient, or null (default) for none.</param>
    /// <returns>The looked-up rows, shape input.Shape + [dim], in the weight's dtype.</returns>
    /// <exception cref="ArgumentException">The weight is not 2-D, or the input is not Int32.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, count).</exception>
    public static Tensor Embedding(Tensor input, Tensor weight, int? paddingIdx = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 2)
        {
            throw new ArgumentException($"Embedding: the weight must be [count, dim], got {Shapes.Format(weight.ShapeRef)}");
        }
        var table = weight;
        if (paddingIdx is { } row && weight.RequiresGrad && Autograd.IsGradEnabled)
        {
            // The weight itself, whose gradient passes through a mask that drops the padding row's.
            var keep = new double[weight.ShapeRef[0]];
            Array.Fill(keep, 1d);
            keep[row] = 0d;
            var mask = Tensor.FromArray(keep, [keep.Length, 1], weight.Device).To(weight.DType);
            table = Tensor.Record(weight.Detach(), "embedding_padding", [weight], g => [g * mask], Saves.Nothing);
        }
        var rows = table.IndexSelect(0, input.Reshape(-1));
        return rows.Reshape([.. input.ShapeRef, weight.ShapeRef[1]]);
    }
}
