using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// This tensor padded with <paramref name="value"/>, like torch.nn.functional.pad(x, pads, value=value) in constant
    /// mode: <paramref name="pads"/> holds (before, after) pairs starting from the LAST dimension —
    /// [left, right] pads the last one, [left, right, top, bottom] the last two. A negative pad crops.
    /// </summary>
    /// <remarks>
    /// y = [value…, x, value…] along each padded dimension. Built from Slice (crops) and Cat with constant blocks, so
    /// the gradient is ∂L/∂y cut back to x's place (zero for the cropped elements).
    /// </remarks>
    /// <param name="pads">(before, after) pairs starting from the last dimension; a negative count crops.</param>
    /// <param name="value">The fill value (default 0).</param>
    /// <returns>A new contiguous tensor, each padded dimension's size changed by its before + after.</returns>
    /// <exception cref="ArgumentException">
    /// An odd number of pads, more pairs than dimensions, or a crop larger than the dimension.
    /// </exception>
    public Tensor Pad(int[] pads, float value = 0f)
    {
        ArgumentNullException.ThrowIfNull(pads);
        if (pads.Length % 2 != 0 || pads.Length / 2 > Rank)
        {
            throw new ArgumentException(
                $"Pad: [{string.Join(", ", pads)}] must hold (before, after) pairs for at most the {Rank} dimensions " +
                $"of {Shapes.Format(_shape)}, last dimension first", nameof(pads));
        }
        var result = this;
        for (int p = 0; p < pads.Length / 2; p++)
        {
            int a = Rank - 1 - p;
            int before = pads[2 * p], after = pads[2 * p + 1];
            int n = result._shape[a];
            if (n + Math.Min(before, 0) + Math.Min(after, 0) < 0)
            {
                throw new ArgumentException(
                    $"Pad: cropping {-Math.Min(before, 0)} and {-Math.Min(after, 0)} from dimension {a} of size {n} " +
                    $"(shape {Shapes.Format(_shape)}) leaves a negative size", nameof(pads));
            }
            var cropped = before < 0 || after < 0
                ? result.Slice(a, Math.Max(-before, 0), n - Math.Max(-after, 0))
                : result;
            var parts = new List<Tensor>(3);
            if (before > 0)
            {
                parts.Add(Full(Sized(cropped._shape, a, before), value, Device, DType));
            }
            parts.Add(cropped);
            if (after > 0)
            {
                parts.Add(Full(Sized(cropped._shape, a, after), value, Device, DType));
            }
            result = parts.Count == 1 ? cropped : Cat([.. parts], a);
        }
        return ReferenceEquals(result, this) ? Clone() : result;
    }

    private static int[] Sized(int[] shape, int axis, int size)
    {
        var copy = (int[])shape.Clone();
        copy[axis] = size;
        return copy;
    }
}
