using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

/// <summary>The <see cref="Layout"/>s and <see cref="ReduceShape"/>s that executors hand to kernels and loops.</summary>
internal static class Walks
{
    /// <summary>The view's full layout: every dimension kept, so loops over one shape share D5/S5.</summary>
    public static Layout LayoutOf<T>(StridedView<T> view) where T : unmanaged =>
        Layout.Create(view.Shape, view.Strides, view.Offset);

    /// <summary>
    /// For bodies that read a layout only through OffsetOf (the kernels): merged dimensions, fewer divisions per
    /// element.
    /// </summary>
    public static Layout WalkOf<T>(StridedView<T> view) where T : unmanaged =>
        Layout.Coalesced(view.Shape, view.Strides, view.Offset);

    /// <summary>The geometry of reducing <paramref name="x"/> over <paramref name="reducedAxes"/> (normalized).</summary>
    public static ReduceShape ReduceShapeOf<T>(StridedView<T> x, int[] reducedAxes) where T : unmanaged
    {
        var keptShape = new List<int>();
        var keptStrides = new List<int>();
        var innerShape = new List<int>();
        var innerStrides = new List<int>();
        for (int d = 0; d < x.Rank; d++)
        {
            bool reduced = Array.IndexOf(reducedAxes, d) >= 0;
            (reduced ? innerShape : keptShape).Add(x.Shape[d]);
            (reduced ? innerStrides : keptStrides).Add(x.Strides[d]);
        }
        return new ReduceShape
        {
            // Coalesced: a reduction over a contiguous block of any rank walks it as one run, without divisions.
            Outer = Layout.Coalesced(keptShape.ToArray(), keptStrides.ToArray(), x.Offset),
            Inner = Layout.Coalesced(innerShape.ToArray(), innerStrides.ToArray(), 0),
            OuterCount = Shapes.Size(keptShape.ToArray()),
            InnerCount = Shapes.Size(innerShape.ToArray()),
        };
    }
}
