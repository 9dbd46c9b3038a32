using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// The values along <paramref name="axis"/> in ascending (or <paramref name="descending"/>) order, and the Int32
    /// indices they came from, like torch.sort(x, axis, descending, stable=True): equal values keep their order, and
    /// NaN sorts as the largest value (last ascending, first descending).
    /// </summary>
    /// <remarks>
    /// values = x.Gather(axis, indices), so the gradient goes back to where each value came from:
    /// ∂L/∂x = zeros(x).ScatterAdd(axis, indices, ∂L/∂values). Each element's place is found by counting the elements
    /// of its line that precede it — quadratic in the line length, meant for short lines (class scores, a few
    /// hundred elements).
    /// </remarks>
    /// <param name="axis">The axis to sort along (default −1, the last); negative counts from the end.</param>
    /// <param name="descending">Sort largest first.</param>
    /// <returns>The sorted values (this tensor's shape and dtype) and their Int32 indices (same shape).</returns>
    /// <exception cref="ArgumentOutOfRangeException">The axis is outside −rank..rank−1.</exception>
    public (Tensor Values, Tensor Indices) Sort(int axis = -1, bool descending = false)
    {
        int a = IndexAxis(axis, "Sort");
        return Ordered(a, _shape[a], descending);
    }

    /// <summary>
    /// The <paramref name="k"/> largest values along <paramref name="axis"/>, largest first, and their Int32 indices,
    /// like torch.topk(x, k, axis) (largest, sorted). On ties the lower index comes first; NaN counts as the largest.
    /// </summary>
    /// <remarks>
    /// values = x.Gather(axis, indices); ∂L/∂x = zeros(x).ScatterAdd(axis, indices, ∂L/∂values): each selected element
    /// gets its value's gradient, the rest 0. Quadratic in the line length, as <see cref="Sort"/>.
    /// </remarks>
    /// <param name="k">How many values to keep, at most the size of the axis.</param>
    /// <param name="axis">The axis to search (default −1, the last); negative counts from the end.</param>
    /// <returns>The values (this tensor's shape with the axis of size k) and their Int32 indices (same
    /// shape).</returns>
    /// <exception cref="ArgumentOutOfRangeException">
    /// The axis is outside −rank..rank−1, or k is outside 0..size of the axis.
    /// </exception>
    public (Tensor Values, Tensor Indices) TopK(int k, int axis = -1)
    {
        int a = IndexAxis(axis, "TopK");
        if (k < 0 || k > _shape[a])
        {
            throw new ArgumentOutOfRangeException(nameof(k),
                $"TopK: k = {k} is outside 0..{_shape[a]}, the size of axis {axis} of shape {Shapes.Format(_shape)}");
        }
        return Ordered(a, k, descending: true);
    }

    private (Tensor Values, Tensor Indices) Ordered(int axis, int keep, bool descending)
    {
        var indices = SortIndicesRaw(this, axis, keep, descending);
        return (GatherChecked(axis, indices), indices);
    }
}
