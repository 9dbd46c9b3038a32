using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// The index of the largest value along <paramref name="axis"/>, as an Int32 tensor on this tensor's device (like
    /// torch.argmax(x, axis, keepdim)): the first index on ties, a NaN counting as the largest. Not differentiable.
    /// </summary>
    /// <param name="axis">The axis to search; negative counts from the end.</param>
    /// <param name="keepDim">Keep the axis as size 1 instead of removing it.</param>
    /// <returns>An Int32 tensor of indices into the axis, this tensor's shape without the axis (size 1 with <paramref
    /// name="keepDim"/>).</returns>
    /// <exception cref="ArgumentException">The axis is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The axis is outside −rank..rank−1.</exception>
    public Tensor ArgMax(int axis, bool keepDim = false) => ArgReduce(axis, keepDim, max: true);

    /// <summary>
    /// The index of the smallest value along <paramref name="axis"/>, as an Int32 tensor (torch.argmin): the first
    /// index on ties, a NaN counting as the smallest. Not differentiable.
    /// </summary>
    /// <param name="axis">The axis to search; negative counts from the end.</param>
    /// <param name="keepDim">Keep the axis as size 1 instead of removing it.</param>
    /// <returns>An Int32 tensor of indices into the axis, this tensor's shape without the axis (size 1 with <paramref
    /// name="keepDim"/>).</returns>
    /// <exception cref="ArgumentException">The axis is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The axis is outside −rank..rank−1.</exception>
    public Tensor ArgMin(int axis, bool keepDim = false) => ArgReduce(axis, keepDim, max: false);

    /// <summary>
    /// <see cref="ArgMax"/> read back to the host, row-major over the other axes (torch.argmax(x, axis).tolist(),
    /// flattened): for metrics such as accuracy. Waits for the device.
    /// </summary>
    /// <param name="axis">The axis to search; negative counts from the end.</param>
    /// <returns>A new host array with one index per position of the other axes, row-major.</returns>
    public int[] ArgMaxIndices(int axis)
    {
        using var indices = ArgMax(axis);
        return indices.ToInt32Array();
    }

    /// <summary><see cref="ArgMin"/> read back to the host, row-major over the other axes. Waits for the device.</summary>
    /// <param name="axis">The axis to search; negative counts from the end.</param>
    /// <returns>A new host array with one index per position of the other axes, row-major.</returns>
    public int[] ArgMinIndices(int axis)
    {
        using var indices = ArgMin(axis);
        return indices.ToInt32Array();
    }

    private Tensor ArgReduce(int axis, bool keepDim, bool max)
    {
        int a = Shapes.NormalizeAxis(axis, Rank);
        var flat = ArgReduceRaw(this, a, max);
        if (!keepDim || Rank == 0)
        {
            return flat;
        }
        var kept = Shapes.Reduced(_shape, [a], keepDim: true);
        var view = flat.View(kept, Shapes.ContiguousStrides(kept), 0);
        flat.Dispose();
        return view;
    }
}
