using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// Values picked along <paramref name="axis"/> by an Int32 <paramref name="index"/> of this tensor's rank, like
    /// torch.gather: for axis 1 of a 3-D tensor, y[i, j, k] = x[i, index[i, j, k], k]. The result has the index's
    /// shape; off the axis the index may be smaller than this tensor, not larger.
    /// </summary>
    /// <remarks>
    /// y = x[…, index, …]. The gradient sends each ∂L/∂y back to the element it was read from, summing where an
    /// element was read several times: ∂L/∂x = zeros(x).ScatterAdd(axis, index, ∂L/∂y) — gather's adjoint, itself
    /// differentiable (its gradient with respect to the source is this gather again). The index values are checked on
    /// the host first (one read of the index), so a bad one raises instead of reading stray memory.
    /// </remarks>
    /// <param name="axis">The axis to pick along; negative counts from the end.</param>
    /// <param name="index">An Int32 tensor of this tensor's rank, on its device, with values in [0, size of the
    /// axis).</param>
    /// <returns>A new tensor of the index's shape, in this tensor's dtype.</returns>
    /// <exception cref="ArgumentException">
    /// The index is not Int32, is on another device, has another rank, or is larger off the axis.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// The axis is outside −rank..rank−1, or an index value is outside [0, size of the axis) (the message names it).
    /// </exception>
    public Tensor Gather(int axis, Tensor index)
    {
        int a = IndexAxis(axis, "Gather");
        CheckIndexRange(index, this, _shape[a], axis, "Gather");
        return GatherChecked(a, index);
    }

    /// <summary>
    /// This tensor plus <paramref name="src"/>'s values added at the positions an Int32 <paramref name="index"/> names
    /// along <paramref name="axis"/>, like torch.scatter_add (not in place): for axis 0 of a 2-D tensor,
    /// y[index[i, j], j] += src[i, j]. Repeated indices add up. The index has this tensor's rank and is no larger than
    /// <paramref name="src"/>, nor, off the axis, than this tensor.
    /// </summary>
    /// <remarks>
    /// y = x + scatter(src). ∂L/∂x = ∂L/∂y; ∂L/∂src = (∂L/∂y).Gather(axis, index). For a differentiable
    /// <paramref name="src"/>, the index must have its shape. Each output element sums its own contributions in index
    /// order (no atomics), so results are the same on every run and device.
    /// </remarks>
    /// <param name="axis">The axis along which the index names positions.</param>
    /// <param name="index">An Int32 tensor of this tensor's rank, on its device, with values in [0, size of the
    /// axis).</param>
    /// <param name="src">The values to add, same dtype and device as this tensor, at least as large as the
    /// index.</param>
    /// <returns>A new tensor of this tensor's shape and dtype; this tensor is unchanged.</returns>
    /// <exception cref="ArgumentException">
    /// The index is not Int32 or does not fit (ranks, sizes), the devices or dtypes differ, or a differentiable source
    /// is larger than the index.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException">An index value is outside [0, size of the axis).</exception>
    public Tensor ScatterAdd(int axis, Tensor index, Tensor src)
    {
        ArgumentNullException.ThrowIfNull(src);
        int a = IndexAxis(axis, "ScatterAdd");
        CheckCompatible(this, src, "ScatterAdd");
        CheckIndexRange(index, this, _shape[a], axis, "ScatterAdd");
        if (src.RequiresGrad && !src._shape.AsSpan().SequenceEqual(index._shape))
        {
            throw new ArgumentException(
                $"ScatterAdd: a source that requires grad must have the index's shape {Shapes.Format(index._shape)}, " +
                $"got {Shapes.Format(src._shape)}", nameof(src));
        }
        return ScatterAddChecked(a, index, src);
    }

    /// <summary>Gather with a normalized axis and a checked index.</summary>
    private Tensor GatherChecked(int axis, Tensor index)
    {
        var result = GatherRaw(this, axis, index);
        int[] shape = _shape;
        return Record(result, "gather", [this], g =>
        {
            using var zeros = Zeros(shape, g.Device, g.DType);
            return [zeros.ScatterAddChecked(axis, index, g)];
        }, Saves.Nothing);
    }

    /// <summary>ScatterAdd with a normalized axis and a checked index.</summary>
    private Tensor ScatterAddChecked(int axis, Tensor index, Tensor src)
    {
        var result = ScatterAddRaw(this, axis, index, src);
        return Record(result, "scatter_add", [this, src], g => [
            RequiresGrad ? g : null,
            src.RequiresGrad ? g.GatherChecked(axis, index) : null,
        ], Saves.Nothing);
    }

    /// <summary>The normalized axis of an index op, which needs at least one dimension.</summary>
    private int IndexAxis(int axis, string opName)
    {
        if (Rank == 0)
        {
            throw new ArgumentException(
                $"{opName} along axis {axis}: a zero-dimensional tensor has no axes; Reshape(1) it first");
        }
        return Shapes.NormalizeAxis(axis, Rank);
    }
}
