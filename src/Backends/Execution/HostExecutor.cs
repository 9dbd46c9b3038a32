using ILGPU;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

/// <summary>
/// Runs the primitives on the CPU device as loops over spans of its host memory: microseconds where an ILGPU launch
/// on the CPU accelerator costs ~0.3 ms, and vectorised. Element-wise ops and reductions go through the generic
/// <see cref="SpanDrivers"/> (an operator's vector form, else its scalar form); other element bodies run as they are,
/// index by index, as the kernels run them; the fused rows and optimizer ranges are in <see cref="HostLoops"/>. A
/// kernel asked for by name (a reduction strategy, a matmul kernel) runs through <paramref name="kernels"/>, this
/// device's kernel executor. Loops split across cores as <see cref="HostPolicy"/> says.
/// </summary>
internal sealed partial class HostExecutor(Device device, KernelExecutor kernels) : Executor(device)
{
    /// <inheritdoc/>
    public override void Run<TBody>(TBody body, int length)
    {
        if (length <= 0)
        {
            return;
        }
        Launched();
        HostLoops.ForRange(length, length, (first, last) =>
        {
            for (int i = first; i < last; i++)
            {
                body.Execute(i);
            }
        });
    }

    /// <inheritdoc/>
    public override void Map<T, TOp>(StridedView<T> x, DeviceBuffer<T> y, TOp op)
    {
        Launched();
        if (!x.IsContiguous)
        {
            MapRows(x, y.View, op);
            return;
        }
        MapContiguous(x.Buffer.View.SubView(x.Offset, x.Size), y.View, x.Size, op);
    }

    // Also the activation a matmul applies to its own output (HostExecutor.Fused.cs): one loop for both.
    private static void MapContiguous<T, TOp>(ArrayView<T> xs, ArrayView<T> ys, int size, TOp op)
        where T : unmanaged
        where TOp : struct, IUnaryOp<T>
    {
        if (!HostPolicy.WorthSplitting(Work<TOp>(size)))
        {
            // One core: straight to the span driver (no closure, no delegate: a small tensor's op costs little more).
            SpanDrivers.Map(HostLoops.Span(xs), HostLoops.Span(ys), op);
            return;
        }
        MapSplit(xs, ys, size, op);
    }

    // Apart from Map, so the closure is allocated only when the loop is split.
    private static void MapSplit<T, TOp>(ArrayView<T> xs, ArrayView<T> ys, int size, TOp op)
        where T : unmanaged
        where TOp : struct, IUnaryOp<T>
    {
        bool stream = HostPolicy.Streams<T>(size);
        HostLoops.ForRange(size, Work<TOp>(size), (first, last) =>
            SpanDrivers.Map(HostLoops.Span(xs)[first..last], HostLoops.Span(ys)[first..last], op, stream));
    }

    // Row by row of the innermost dimension: each row's start decoded once, then walked with its stride.
    private static void MapRows<T, TOp>(StridedView<T> x, ArrayView<T> ys, TOp op)
        where T : unmanaged
        where TOp : struct, IUnaryOp<T>
    {
        var layout = Walks.LayoutOf(x);
        var xv = x.Buffer.View;
        int inner = layout.D5;
        bool vectorRows = inner >= HostPolicy.MinVectorRow && layout.S5 == 1;
        HostLoops.ForRange(x.Size / inner, vectorRows ? Work<TOp>(x.Size) : x.Size, (first, last) =>
        {
            var xs = HostLoops.Span(xv);
            var yr = HostLoops.Span(ys);
            for (int row = first; row < last; row++)
            {
                int xi = layout.OffsetOf(row * inner), yi = row * inner;
                if (vectorRows)
                {
                    SpanDrivers.Map(xs.Slice(xi, inner), yr.Slice(yi, inner), op);
                    continue;
                }
                for (int j = 0; j < inner; j++, xi += layout.S5)
                {
                    yr[yi + j] = op.Apply(xs[xi]);
                }
            }
        });
    }

    /// <inheritdoc/>
    public override void Zip<T, TOp>(StridedView<T> a, StridedView<T> b, DeviceBuffer<T> c, TOp op)
    {
        Launched();
        int size = checked((int)c.Length);
        if (!a.IsContiguous || !b.IsContiguous)
        {
            ZipRows(a, b, c.View, size, op);
            return;
        }
        var (av, bv, cv) = (a.Buffer.View.SubView(a.Offset, size), b.Buffer.View.SubView(b.Offset, size), c.View);
        if (!HostPolicy.WorthSplitting(Work<TOp>(size)))
        {
            SpanDrivers.Zip<T, TOp>(HostLoops.Span(av), HostLoops.Span(bv), HostLoops.Span(cv), op);
            return;
        }
        ZipSplit(av, bv, cv, size, op);
    }

    // Apart from Zip, so the closure is allocated only when the loop is split.
    private static void ZipSplit<T, TOp>(ArrayView<T> av, ArrayView<T> bv, ArrayView<T> cv, int size, TOp op)
        where T : unmanaged
        where TOp : struct, IBinaryOp<T>
    {
        bool stream = HostPolicy.Streams<T>(size);
        HostLoops.ForRange(size, Work<TOp>(size), (first, last) => SpanDrivers.Zip<T, TOp>(
            HostLoops.Span(av)[first..last], HostLoops.Span(bv)[first..last], HostLoops.Span(cv)[first..last], op,
            stream));
    }

    // Rows where each operand is contiguous or one broadcast value (a bias row, a column of maxima) go through the span
    // driver; other rows walk both strides.
    private static void ZipRows<T, TOp>(StridedView<T> a, StridedView<T> b, ArrayView<T> cv, int size, TOp op)
        where T : unmanaged
        where TOp : struct, IBinaryOp<T>
    {
        var (aLayout, bLayout) = (Walks.LayoutOf(a), Walks.LayoutOf(b));
        var (aView, bView) = (a.Buffer.View, b.Buffer.View);
        int inner = aLayout.D5;
        bool vectorRows = inner >= HostPolicy.MinVectorRow && aLayout.S5 is 0 or 1 && bLayout.S5 is 0 or 1;
        HostLoops.ForRange(size / inner, vectorRows ? Work<TOp>(size) : size, (first, last) =>
        {
            var xs = HostLoops.Span(aView);
            var ys = HostLoops.Span(bView);
            var zs = HostLoops.Span(cv);
            for (int row = first; row < last; row++)
            {
                int ai = aLayout.OffsetOf(row * inner), bi = bLayout.OffsetOf(row * inner), ci = row * inner;
                if (vectorRows)
                {
                    SpanDrivers.Zip<T, TOp>(xs.Slice(ai, aLayout.S5 == 0 ? 1 : inner),
                        ys.Slice(bi, bLayout.S5 == 0 ? 1 : inner), zs.Slice(ci, inner), op);
                    continue;
                }
                for (int j = 0; j < inner; j++, ai += aLayout.S5, bi += bLayout.S5)
                {
                    zs[ci + j] = op.Apply(xs[ai], ys[bi]);
                }
            }
        });
    }

    /// <inheritdoc/>
    public override void Copy<T>(StridedView<T> source, StridedView<T> destination)
    {
        Launched();
        var (xv, yv) = (source.Buffer.View, destination.Buffer.View);
        if (source.IsContiguous && destination.IsContiguous)
        {
            var (from, to) = (source.Offset, destination.Offset);
            HostLoops.ForRange(source.Size, HostPolicy.VectorWork(source.Size), (first, last) =>
                HostLoops.Span(xv).Slice(from + first, last - first)
                    .CopyTo(HostLoops.Span(yv).Slice(to + first, last - first)));
            return;
        }
        var (xLayout, yLayout) = (Walks.LayoutOf(source), Walks.LayoutOf(destination));
        int inner = xLayout.D5;
        HostLoops.ForRange(source.Size / inner, source.Size, (first, last) =>
        {
            var xs = HostLoops.Span(xv);
            var ys = HostLoops.Span(yv);
            for (int row = first; row < last; row++)
            {
                int xi = xLayout.OffsetOf(row * inner), yi = yLayout.OffsetOf(row * inner);
                for (int j = 0; j < inner; j++, xi += xLayout.S5, yi += yLayout.S5)
                {
                    ys[yi] = xs[xi];
                }
            }
        });
    }

    /// <summary>The work a loop over <paramref name="elements"/> weighs: less for operators with a vector form.</summary>
    private static long Work<TOp>(long elements) where TOp : struct =>
        VectorForm.Has<TOp>() ? HostPolicy.VectorWork(elements) : elements;
}
