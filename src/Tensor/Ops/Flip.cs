using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// The elements in reverse order along each of <paramref name="axes"/> (negative counts from the end), like
    /// torch.flip: a new contiguous tensor (PyTorch copies too).
    /// </summary>
    /// <remarks>y[…, j, …] = x[…, n − 1 − j, …] on each flipped axis. The gradient is flipped back: ∂L/∂x = Flip(∂L/∂y).</remarks>
    /// <param name="axes">The axes to reverse; negative values count from the end.</param>
    /// <returns>A new contiguous tensor of this tensor's shape and dtype.</returns>
    /// <exception cref="ArgumentException">An axis repeats.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An axis is outside −rank..rank−1.</exception>
    public Tensor Flip(params int[] axes)
    {
        ArgumentNullException.ThrowIfNull(axes);
        var normalized = axes.Select(a => Shapes.NormalizeAxis(a, Rank)).ToArray();
        if (normalized.Distinct().Count() != normalized.Length)
        {
            throw new ArgumentException($"Flip: axes [{string.Join(", ", axes)}] repeat an axis (rank {Rank})");
        }
        var strides = (int[])Strides.Clone();
        int offset = Offset;
        foreach (int a in normalized)
        {
            if (_shape[a] > 1)
            {
                offset += (_shape[a] - 1) * Strides[a];
                strides[a] = -Strides[a];
            }
        }
        // A view walking the memory backwards along the flipped axes, copied out in order.
        using var reversed = View(_shape, strides, Size == 0 ? Offset : offset);
        var result = Empty(_shape, DType, Device);
        CopyInto(reversed, result, expand: false);
        return Record(result, "flip", [this], g => [g.Flip(normalized)], Saves.Nothing);
    }
}
