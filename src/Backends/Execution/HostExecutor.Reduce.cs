using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
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
                ReduceLeading(HostLoops.Span(xv), shape.Outer.Offset + first, shape.Inner, shape.InnerCount, ys, op);
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
        // One contiguous run per output at a fixed stride (a sum over the last axis): the driver's loop over runs.
        if (runs && shape.InnerCount == inner && shape.Outer.Rank <= 1)
        {
            HostLoops.ForRange(shape.OuterCount, work, (first, last) => SpanDrivers.ReduceRuns(HostLoops.Span(xv),
                shape.Outer.OffsetOf(first), shape.Outer.S5, inner, HostLoops.Span(yv)[first..last], scale, op));
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

    // Rows of outputs folded one after another into a leaf; leaves are then summed pairwise. Sixteen keeps a column of
    // a thousand 0.1s within 2 ulps (as eight does) while the pairwise merges cost a sixteenth of the reads.
    private const int LeadingLeafRows = 16;

    /// <summary>
    /// acc = op over the <paramref name="count"/> rows at <paramref name="start"/> + inner(r), each as long as
    /// <paramref name="acc"/>: leaves of <see cref="LeadingLeafRows"/> rows folded in order, then combined pairwise as
    /// a binary counter does (a leaf merges with the partial of its own size while there is one), so a column of a
    /// million sums as accurately as a row, with one buffer per level of the tree and no recursion.
    /// </summary>
    private static void ReduceLeading<T, TOp>(Span<T> xs, int start, Layout inner, int count, Span<T> acc, TOp op)
        where T : unmanaged
        where TOp : struct, IReduceOp<T>
    {
        int width = acc.Length;
        if (count <= LeadingLeafRows)
        {
            Leaf(xs, start, inner, 0, count, acc, op);
            return;
        }
        // Level l of the tree holds, when occupied, the partial of 2^l leaves; at most one partial per level.
        int leaves = (count + LeadingLeafRows - 1) / LeadingLeafRows;
        int levels = 33 - BitOperations.LeadingZeroCount((uint)leaves);
        var rented = ArrayPool<T>.Shared.Rent((levels + 1) * width);
        Span<int> slot = stackalloc int[levels];
        slot.Fill(-1);
        Span<int> free = stackalloc int[levels + 1];
        for (int i = 0; i < free.Length; i++)
        {
            free[i] = i;
        }
        int freeCount = free.Length;
        try
        {
            for (int first = 0; first < count; first += LeadingLeafRows)
            {
                int buffer = free[--freeCount];
                Leaf(xs, start, inner, first, Math.Min(LeadingLeafRows, count - first),
                    rented.AsSpan(buffer * width, width), op);
                int level = 0;
                for (; slot[level] >= 0; level++)
                {
                    // The earlier partial absorbs the later one, as the halves of a recursion would.
                    int earlier = slot[level];
                    SpanDrivers.Accumulate(rented.AsSpan(earlier * width, width), rented.AsSpan(buffer * width, width),
                        op);
                    free[freeCount++] = buffer;
                    buffer = earlier;
                    slot[level] = -1;
                }
                slot[level] = buffer;
            }
            // What is left: partials of decreasing size, the highest level the earliest rows.
            bool started = false;
            for (int level = levels - 1; level >= 0; level--)
            {
                if (slot[level] < 0)
                {
                    continue;
                }
                var partial = rented.AsSpan(slot[level] * width, width);
                if (started)
                {
                    SpanDrivers.Accumulate(acc, partial, op);
                }
                else
                {
                    partial.CopyTo(acc);
                    started = true;
                }
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// acc = op over rows [first, first + count) in order (the identity for none). Column strips of four vectors are
    /// folded down all the leaf's rows in registers and stored once, so each element is read once and acc written once
    /// per leaf, not loaded and stored for every row.
    /// </summary>
    private static void Leaf<T, TOp>(Span<T> xs, int start, Layout inner, int first, int count, Span<T> acc, TOp op)
        where T : unmanaged
        where TOp : struct, IReduceOp<T>
    {
        if (count == 0)
        {
            acc.Fill(op.Identity);
            return;
        }
        Span<int> rows = stackalloc int[count];
        for (int r = 0; r < count; r++)
        {
            rows[r] = start + inner.OffsetOf(first + r);
            // The loads below are unchecked: every row must lie inside the buffer, as a slice of it would.
            if ((uint)rows[r] > (uint)(xs.Length - acc.Length))
            {
                throw new ArgumentOutOfRangeException(nameof(inner), $"row {first + r} of the reduction leaves the buffer");
            }
        }
        int width = acc.Length, j = 0;
        if (VectorForm.Has<TOp>() && Vector.IsHardwareAccelerated)
        {
            int n = Vector<T>.Count;
            ref T x = ref MemoryMarshal.GetReference(xs);
            ref T a = ref MemoryMarshal.GetReference(acc);
            for (; j <= width - 4 * n; j += 4 * n)
            {
                nuint at = (nuint)(rows[0] + j);
                Vector<T> v0 = Vector.LoadUnsafe(ref x, at), v1 = Vector.LoadUnsafe(ref x, at + (nuint)n);
                Vector<T> v2 = Vector.LoadUnsafe(ref x, at + (nuint)(2 * n));
                Vector<T> v3 = Vector.LoadUnsafe(ref x, at + (nuint)(3 * n));
                for (int r = 1; r < count; r++)
                {
                    at = (nuint)(rows[r] + j);
                    v0 = op.Combine(v0, Vector.LoadUnsafe(ref x, at));
                    v1 = op.Combine(v1, Vector.LoadUnsafe(ref x, at + (nuint)n));
                    v2 = op.Combine(v2, Vector.LoadUnsafe(ref x, at + (nuint)(2 * n)));
                    v3 = op.Combine(v3, Vector.LoadUnsafe(ref x, at + (nuint)(3 * n)));
                }
                v0.StoreUnsafe(ref a, (nuint)j);
                v1.StoreUnsafe(ref a, (nuint)(j + n));
                v2.StoreUnsafe(ref a, (nuint)(j + 2 * n));
                v3.StoreUnsafe(ref a, (nuint)(j + 3 * n));
            }
            for (; j <= width - n; j += n)
            {
                Vector<T> v = Vector.LoadUnsafe(ref x, (nuint)(rows[0] + j));
                for (int r = 1; r < count; r++)
                {
                    v = op.Combine(v, Vector.LoadUnsafe(ref x, (nuint)(rows[r] + j)));
                }
                v.StoreUnsafe(ref a, (nuint)j);
            }
        }
        for (; j < width; j++)
        {
            T v = xs[rows[0] + j];
            for (int r = 1; r < count; r++)
            {
                v = op.Combine(v, xs[rows[r] + j]);
            }
            acc[j] = v;
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
