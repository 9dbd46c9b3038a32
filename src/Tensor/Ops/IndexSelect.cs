using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// The slices at the positions a 1-D Int32 <paramref name="index"/> names along <paramref name="axis"/>, in its
    /// order (repeats allowed), like torch.index_select: the result has this tensor's shape with the axis's size
    /// replaced by the index's length. This is the lookup of an embedding table (<c>Nn.Embedding</c>).
    /// </summary>
    /// <remarks>
    /// y[…, j, …] = x[…, index[j], …]. The gradient is an index-add: ∂L/∂x[…, m, …] = Σ_{j: index[j] = m}
    /// ∂L/∂y[…, j, …], run as a gather's adjoint (scatter-add with the index broadcast over the other axes), so it is
    /// differentiable again. The index is read back once to check its values.
    /// </remarks>
    /// <param name="axis">The axis to select along; negative counts from the end.</param>
    /// <param name="index">A 1-D Int32 tensor on this tensor's device, values in [0, size of the axis).</param>
    /// <returns>A new tensor of this tensor's shape with the axis's size replaced by the index's length.</returns>
    /// <exception cref="ArgumentException">The index is not a 1-D Int32 tensor on this tensor's device.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// The axis is outside −rank..rank−1, or an index value is outside [0, size of the axis) (the message names it).
    /// </exception>
    public Tensor IndexSelect(int axis, Tensor index)
    {
        int a = IndexAxis(axis, "IndexSelect");
        ArgumentNullException.ThrowIfNull(index);
        if (index.Rank != 1)
        {
            throw new ArgumentException(
                $"IndexSelect: the index must be 1-D, got shape {Shapes.Format(index._shape)}", nameof(index));
        }
        CheckIndexRange(index, this, _shape[a], axis, "IndexSelect");
        // The index as a gather index: its length on the axis, broadcast (stride 0) over every other axis.
        var shape = (int[])_shape.Clone();
        shape[a] = index._shape[0];
        var strides = new int[Rank];
        strides[a] = index.Strides[0];
        // Not disposed here: the backward's scatter-add reads it.
        var spread = index.View(shape, strides, index.Offset);
        return GatherChecked(a, spread);
    }
}
