using System.Buffers;
using System.Numerics;
using ILGPU;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

internal sealed partial class HostExecutor
{
    /// <summary>
    /// One output per row of the reduced block, every path accurate to a few ulps however long the block: contiguous
    /// runs reduce pairwise (<see cref="SpanDrivers.Reduce{T, TOp}"/>), a reduction over a leading axis (contiguous
    /// outputs, a bias gradient) folds whole rows of outputs at once, pairwise over the rows; a few long runs (a full
    /// sum) are cut into a piece per core; strided runs fold serially with the operator's compensated fold. An
    /// explicit <see cref="ReduceStrategy"/> runs the kernels it names.
    /// </summary>
    public override void Reduce<T, TOp>(StridedView<T> x, ReduceShape shape, DeviceBuffer<T> y, T scale,
        ReduceStrategy strategy, TOp op)
    {
        if (strategy != ReduceStrategy.Auto)
        {
            kernels.Reduce(x, shape, y, scale, strategy, op);
            return;
        }
        Launched();
        var (xv, yv) = (x.Buffer.View, y.View);
        long elements = (long)shape.OuterCount * shape.InnerCount;
        bool vectorised = VectorForm.Has<TOp>() && shape.Inner.Rank == 1;
        if (vectorised && shape.Outer.Rank == 1 && shape.Outer.S5 == 1 && shape.Inner.S5 != 1 &&
            shape.OuterCount >= HostPolicy.MinVectorRow)
        {
            HostLoops.ForRange(shape.OuterCount, HostPolicy.VectorWork(elements), (first, last) =>
            {
                var ys = HostLoops.Span(yv)[first..last];
                ReduceLeading(HostLoops.Span(xv), shape.Outer.Offset + first, shape.Inner, 0, shape.InnerCount, ys,
                    op);
                Scale(ys, scale);
            });
            return;
        }
        int inner = shape.Inner.D5;
        bool runs = vectorised && shape.Inner.S5 == 1 && inner >= HostPolicy.MinVectorRow;
        long work = runs ? HostPolicy.VectorWork(elements) : elements;
        if (runs && shape.OuterCount < Environment.ProcessorCount && HostPolicy.WorthSplitting(work))
        {
            ReduceInPieces(xv, yv, shape, scale, op, work);
            return;
        }
        HostLoops.ForRange(shape.OuterCount, work, (first, last) =>
        {
            var xs = HostLoops.Span(xv);
            var ys = HostLoops.Span(yv);
            for (int o = first; o < last; o++)
            {
                int start = shape.Outer.OffsetOf(o);
                var run = new Running<T>(op.Identity, T.Zero);
                for (int r = 0; r < shape.InnerCount; r += inner)
                {
                    int xi = start + shape.Inner.OffsetOf(r);
                    if (runs)
                    {
                        run = op.Fold(run, SpanDrivers.Reduce(xs.Slice(xi, inner), op));
                        continue;
                    }
                    for (int j = 0; j < inner; j++, xi += shape.Inner.S5)
                    {
                        run = op.Fold(run, xs[xi]);
                    }
                }
                ys[o] = op.Finish(run) * scale;
            }
        });
    }

    // Rows of outputs folded one after another below this; above it the rows split in halves, reduced apart.
    private const int LeadingLeafRows = 8;

    /// <summary>
    /// acc = op over rows [first, first + count) of the rows at <paramref name="start"/> + inner(r), each as long as
    /// <paramref name="acc"/>: pairwise over the rows, so a column of a million sums as accurately as a row.
    /// </summary>
    private static void ReduceLeading<T, TOp>(Span<T> xs, int start, Layout inner, int first, int count, Span<T> acc,
        TOp op)
        where T : unmanaged
        where TOp : struct, IReduceOp<T>
    {
        if (count <= LeadingLeafRows)
        {
            if (count == 0)
            {
                acc.Fill(op.Identity);
                return;
            }
            xs.Slice(start + inner.OffsetOf(first), acc.Length).CopyTo(acc);
            for (int r = first + 1; r < first + count; r++)
            {
                SpanDrivers.Accumulate(acc, xs.Slice(start + inner.OffsetOf(r), acc.Length), op);
            }
            return;
        }
        int half = count / 2;
        ReduceLeading(xs, start, inner, first, half, acc, op);
        var rest = ArrayPool<T>.Shared.Rent(acc.Length);
        try
        {
            var second = rest.AsSpan(0, acc.Length);
            ReduceLeading(xs, start, inner, first + half, count - half, second, op);
            SpanDrivers.Accumulate(acc, second, op);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(rest);
        }
    }

    /// <summary>
    /// Fewer outputs than cores, each a long contiguous run: every run is cut into one piece per core, the pieces are
    /// reduced in parallel and their results combined in order.
    /// </summary>
    private static void ReduceInPieces<T, TOp>(ArrayView<T> x, ArrayView<T> y, ReduceShape shape, T scale, TOp op,
        long work)
        where T : unmanaged, INumber<T>
        where TOp : struct, IReduceOp<T>
    {
        int perRun = Environment.ProcessorCount;
        int length = shape.InnerCount;
        int pieceLength = (length + perRun - 1) / perRun;
        // From the shared array pool, not a new array per reduction.
        var rented = ArrayPool<T>.Shared.Rent(shape.OuterCount * perRun);
        var partials = new ArraySegment<T>(rented, 0, shape.OuterCount * perRun);
        HostLoops.ForRange(partials.Count, work, (first, last) =>
        {
            var xs = HostLoops.Span(x);
            for (int p = first; p < last; p++)
            {
                int o = p / perRun, start = p % perRun * pieceLength;
                int count = Math.Min(pieceLength, length - start);
                partials[p] = count > 0 ? SpanDrivers.Reduce(xs.Slice(shape.Outer.OffsetOf(o) + start, count), op)
                    : op.Identity;
            }
        });
        var ys = HostLoops.Span(y);
        for (int o = 0; o < shape.OuterCount; o++)
        {
            T acc = op.Identity;
            for (int piece = 0; piece < perRun; piece++)
            {
                acc = op.Combine(acc, partials[o * perRun + piece]);
            }
            ys[o] = acc * scale;
        }
        ArrayPool<T>.Shared.Return(rented);
    }

    private static void Scale<T>(Span<T> values, T scale) where T : unmanaged, INumber<T>
    {
        if (scale == T.One)
        {
            return;
        }
        SpanDrivers.Map(values, values, new ScaleOp<T>(scale));
    }
}
