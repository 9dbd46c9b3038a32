using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// A view with a new size-1 dimension inserted at <paramref name="axis"/>, which lies in −rank−1..rank (negative
    /// counts from the end of the result, so −1 appends), like torch.unsqueeze. No data is copied.
    /// </summary>
    /// <remarks>The elements are unchanged; the gradient drops the new dimension again (a squeeze).</remarks>
    /// <param name="axis">Where the new dimension goes, in −rank−1..rank.</param>
    /// <returns>A view of this tensor's memory, one rank higher.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is outside −rank−1..rank.</exception>
    public Tensor Unsqueeze(int axis)
    {
        int a = NormalizeNewAxis(axis, Rank, "unsqueeze");
        // The new dimension's stride never moves through memory (its size is 1); PyTorch's choice keeps the view
        // contiguous-looking: the stride of the dimension it is inserted before times that dimension's size.
        int stride = a < Rank ? Strides[a] * _shape[a] : 1;
        int[] shape = [.. _shape[..a], 1, .. _shape[a..]];
        int[] strides = [.. Strides[..a], stride, .. Strides[a..]];
        var result = View(shape, strides, Offset);
        return Record(result, "unsqueeze", [this], g => [g.Squeeze(a)], Saves.Nothing);
    }

    /// <summary>Maps an insertion axis in −rank−1..rank to 0..rank; throws naming the axis and the rank.</summary>
    private static int NormalizeNewAxis(int axis, int rank, string opName)
    {
        if (axis < -rank - 1 || axis > rank)
        {
            throw new ArgumentOutOfRangeException(nameof(axis),
                $"{opName}: axis {axis} is out of range for a tensor of rank {rank} (expected {-rank - 1}..{rank})");
        }
        return axis < 0 ? axis + rank + 1 : axis;
    }
}
