using System.Buffers;
using System.Numerics;
using ILGPU;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

internal static partial class HostLoops
{
    // Rows that run across memory (softmax along a leading axis) are taken in panels of this many neighbouring rows.
    private const int PanelLength = 1024;

    /// <summary>
    /// Softmax (or log-softmax) rows on the CPU device, as <see cref="SoftmaxRowsBody{T, TMath}"/> and with its math
    /// (<see cref="SoftmaxMath{TLane, T, TMath}"/>) on <see cref="Vector{T}"/> lanes, split across cores: rows along a
    /// leading axis, whose neighbours are neighbours in memory, in panels of up to <see cref="PanelLength"/> rows at
    /// once (each step of the row is one contiguous run across the panel, a lane per row); other rows one at a time,
    /// lanes along the row (a strided row gathered first, and scattered back when y's row is strided too). Unlike the
    /// kernels, which read a row online (<see cref="SoftmaxMath{TLane, T, TMath}.Step"/>: two reads, two exps per
    /// element), these form the maxima first and keep each element's exponential: here a row or a panel step sits in
    /// cache after its first read, so the exp is what costs, and online rows measured 1.5–2× slower on this device.
    /// </summary>
    public static void Softmax<T, TMath>(ArrayView<T> x, ReduceShape xShape, ArrayView<T> y, ReduceShape yShape,
        bool log)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        int count = xShape.InnerCount, xStride = xShape.Inner.S5, yStride = yShape.Inner.S5, logs = log ? 1 : 0;
        // Every element is read and exponentiated once: an exp costs several adds, so no divisor on the work.
        long elements = (long)xShape.OuterCount * count;
        if (InPanels(xShape.Outer) && InPanels(yShape.Outer))
        {
            ForPanels(Math.Min(xShape.Outer.D5, yShape.Outer.D5), xShape.OuterCount, elements, (first, length) =>
                WithScratch<T>(2 * length, scratch => SoftmaxPanel<T, TMath>(Span(x), xShape.Outer.OffsetOf(first),
                    xStride, Span(y), yShape.Outer.OffsetOf(first), yStride, count, length, scratch, logs)));
            return;
        }
        ForRange(xShape.OuterCount, elements, (first, last) => WithScratch<T>(2 * count, scratch =>
        {
            var xs = Span(x);
            var ys = Span(y);
            for (int row = first; row < last; row++)
            {
                int yi = yShape.Outer.OffsetOf(row);
                var output = yStride == 1 ? ys.Slice(yi, count) : scratch.Slice(count, count);
                var values = RowOf(xs, xShape.Outer.OffsetOf(row), count, xStride, output);
                SoftmaxRow<T, TMath>(values, scratch[..count], output, logs);
                StoreRow(output, ys, yi, yStride);
            }
        }));
    }

    /// <summary>
    /// Softmax (or log-softmax) backward on the CPU device, as <see cref="SoftmaxGradRowsBody{T, TMath}"/> and with
    /// its math on vector lanes, split across cores as the forward: rows along a leading axis in panels (when the
    /// gradient's rows lie like y's), other rows one at a time (strided rows of y and the gradient gathered, and dx's
    /// scattered back).
    /// </summary>
    public static void SoftmaxBackward<T, TMath>(ArrayView<T> y, ArrayView<T> g, ReduceShape gShape, ArrayView<T> dx,
        ReduceShape shape, bool log)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        int count = shape.InnerCount, stride = shape.Inner.S5, gStride = gShape.Inner.S5, logs = log ? 1 : 0;
        long elements = (long)shape.OuterCount * count;
        if (InPanels(shape.Outer) && InPanels(gShape.Outer))
        {
            ForPanels(Math.Min(shape.Outer.D5, gShape.Outer.D5), shape.OuterCount, elements, (first, length) =>
                WithScratch<T>(length, scratch => SoftmaxGradPanel<T, TMath>(Span(y), Span(dx),
                    shape.Outer.OffsetOf(first), stride, Span(g), gShape.Outer.OffsetOf(first), gStride, count,
                    length, scratch, logs)));
            return;
        }
        ForRange(shape.OuterCount, elements, (first, last) => WithScratch<T>(3 * count, scratch =>
        {
            var ys = Span(y);
            var gs = Span(g);
            var ds = Span(dx);
            for (int row = first; row < last; row++)
            {
                int at = shape.Outer.OffsetOf(row);
                var gradient = RowOf(gs, gShape.Outer.OffsetOf(row), count, gStride, scratch[..count]);
                var output = RowOf(ys, at, count, stride, scratch.Slice(count, count));
                var d = stride == 1 ? ds.Slice(at, count) : scratch.Slice(2 * count, count);
                SoftmaxGradRow<T, TMath>(gradient, output, d, logs);
                StoreRow(d, ds, at, stride);
            }
        }));
    }

    /// <summary>
    /// One softmax row: m = max x and eˣ⁻ᵐ into <paramref name="exps"/> (<see cref="MaxAndSumExp{T, TMath}"/>), then
    /// the outputs from them, lanes along the row and the scalar tail after. <paramref name="y"/> may be
    /// <paramref name="x"/> itself.
    /// </summary>
    private static void SoftmaxRow<T, TMath>(Span<T> x, Span<T> exps, Span<T> y, int log)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        var (max, sum) = MaxAndSumExp<T, TMath>(x, exps);
        T shift = SoftmaxMath<T, T, TMath>.Shift(sum, log);
        var xs = AsLanes(x);
        var es = AsLanes(exps);
        var ys = AsLanes(y);
        var (maxLanes, shiftLanes) = (new Lanes<T>(max), new Lanes<T>(shift));
        for (int k = 0; k < ys.Length; k++)
        {
            ys[k] = SoftmaxMath<Lanes<T>, T, VectorMath<T>>.Output(xs[k], maxLanes, es[k], shiftLanes, log);
        }
        for (int i = ys.Length * Vector<T>.Count; i < y.Length; i++)
        {
            y[i] = SoftmaxMath<T, T, TMath>.Output(x[i], max, exps[i], shift, log);
        }
    }

    /// <summary>
    /// A non-empty row's m = max x (NaN propagates) and Σ e^(x − m), with the exponentials written to
    /// <paramref name="exps"/> (x's length; it may be x itself): <see cref="SoftmaxMath{TLane, T, TMath}"/>'s steps
    /// on vector lanes along the row, then on the scalar tail; the lanes' maxima and sums meet at the end.
    /// </summary>
    private static (T Max, T Sum) MaxAndSumExp<T, TMath>(Span<T> x, Span<T> exps)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        var xs = AsLanes(x);
        var es = AsLanes(exps);
        int tail = xs.Length * Vector<T>.Count;
        // Four running maxima and sums: each step's result feeds the next only every fourth vector, so the steps'
        // latencies overlap.
        T max = x[0];
        if (xs.Length > 0)
        {
            var (m0, m1, m2, m3) = (xs[0], xs[0], xs[0], xs[0]);
            int k = 1;
            for (; k + 3 < xs.Length; k += 4)
            {
                m0 = SoftmaxMath<Lanes<T>, T, VectorMath<T>>.Max(m0, xs[k]);
                m1 = SoftmaxMath<Lanes<T>, T, VectorMath<T>>.Max(m1, xs[k + 1]);
                m2 = SoftmaxMath<Lanes<T>, T, VectorMath<T>>.Max(m2, xs[k + 2]);
                m3 = SoftmaxMath<Lanes<T>, T, VectorMath<T>>.Max(m3, xs[k + 3]);
            }
            for (; k < xs.Length; k++)
            {
                m0 = SoftmaxMath<Lanes<T>, T, VectorMath<T>>.Max(m0, xs[k]);
            }
            var lanes = SoftmaxMath<Lanes<T>, T, VectorMath<T>>.Max(SoftmaxMath<Lanes<T>, T, VectorMath<T>>.Max(m0, m1),
                SoftmaxMath<Lanes<T>, T, VectorMath<T>>.Max(m2, m3));
            for (int lane = 0; lane < Vector<T>.Count; lane++)
            {
                max = SoftmaxMath<T, T, TMath>.Max(max, lanes[lane]);
            }
        }
        for (int i = tail; i < x.Length; i++)
        {
            max = SoftmaxMath<T, T, TMath>.Max(max, x[i]);
        }
        var maxLanes = new Lanes<T>(max);
        for (int k = 0; k < xs.Length; k++)
        {
            es[k] = SoftmaxMath<Lanes<T>, T, VectorMath<T>>.Exp(xs[k], maxLanes);
        }
        // Summed in a pass of its own: the vector exp is a call, across which running sums would go through memory.
        var (s0, s1, s2, s3) = (default(Lanes<T>), default(Lanes<T>), default(Lanes<T>), default(Lanes<T>));
        int e = 0;
        for (; e + 3 < es.Length; e += 4)
        {
            (s0, s1, s2, s3) = (s0 + es[e], s1 + es[e + 1], s2 + es[e + 2], s3 + es[e + 3]);
        }
        for (; e < es.Length; e++)
        {
            s0 += es[e];
        }
        T sum = (s0 + s1 + (s2 + s3)).Sum();
        for (int i = tail; i < x.Length; i++)
        {
            exps[i] = SoftmaxMath<T, T, TMath>.Exp(x[i], max);
            sum += exps[i];
        }
        return (max, sum);
    }

    /// <summary>
    /// Softmax (or log-softmax) of <paramref name="length"/> neighbouring rows at once: element j of row r is
    /// x[xAt + j·xStride + r] (and y likewise), so each step along the rows is one contiguous run across the panel,
    /// a lane per row. <paramref name="scratch"/> holds 2·length values (the rows' maxima, then sums and shifts).
    /// </summary>
    private static void SoftmaxPanel<T, TMath>(Span<T> x, int xAt, int xStride, Span<T> y, int yAt, int yStride,
        int count, int length, Span<T> scratch, int log)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        var max = scratch[..length];
        var sum = scratch.Slice(length, length);
        var maxs = AsLanes(max);
        var sums = AsLanes(sum);
        int tail = maxs.Length * Vector<T>.Count;
        x.Slice(xAt, length).CopyTo(max);
        for (int j = 1; j < count; j++)
        {
            var xj = x.Slice(xAt + j * xStride, length);
            var xjs = AsLanes(xj);
            for (int k = 0; k < maxs.Length; k++)
            {
                maxs[k] = SoftmaxMath<Lanes<T>, T, VectorMath<T>>.Max(maxs[k], xjs[k]);
            }
            for (int r = tail; r < length; r++)
            {
                max[r] = SoftmaxMath<T, T, TMath>.Max(max[r], xj[r]);
            }
        }
        sum.Clear();
        for (int j = 0; j < count; j++)
        {
            var xj = x.Slice(xAt + j * xStride, length);
            var yj = y.Slice(yAt + j * yStride, length);
            var xjs = AsLanes(xj);
            var yjs = AsLanes(yj);
            for (int k = 0; k < maxs.Length; k++)
            {
                yjs[k] = SoftmaxMath<Lanes<T>, T, VectorMath<T>>.Exp(xjs[k], maxs[k]);
                sums[k] += yjs[k];
            }
            for (int r = tail; r < length; r++)
            {
                yj[r] = SoftmaxMath<T, T, TMath>.Exp(xj[r], max[r]);
                sum[r] += yj[r];
            }
        }
        for (int k = 0; k < sums.Length; k++)
        {
            sums[k] = SoftmaxMath<Lanes<T>, T, VectorMath<T>>.Shift(sums[k], log);
        }
        for (int r = tail; r < length; r++)
        {
            sum[r] = SoftmaxMath<T, T, TMath>.Shift(sum[r], log);
        }
        for (int j = 0; j < count; j++)
        {
            var xj = x.Slice(xAt + j * xStride, length);
            var yj = y.Slice(yAt + j * yStride, length);
            var xjs = AsLanes(xj);
            var yjs = AsLanes(yj);
            for (int k = 0; k < maxs.Length; k++)
            {
                yjs[k] = SoftmaxMath<Lanes<T>, T, VectorMath<T>>.Output(xjs[k], maxs[k], yjs[k], sums[k], log);
            }
            for (int r = tail; r < length; r++)
            {
                yj[r] = SoftmaxMath<T, T, TMath>.Output(xj[r], max[r], yj[r], sum[r], log);
            }
        }
    }

    /// <summary>
    /// A row's m = max x (NaN propagates) and Σ e^(x − m), in one read: <see cref="SoftmaxMath{TLane, T, TMath}"/>'s
    /// online steps on vector lanes along the row, the lanes' states merged into one (each lane's sum rescaled to the
    /// row's maximum), then the steps of the scalar tail.
    /// </summary>
    private static MaxSum<T> RowMaxSum<T, TMath>(Span<T> x)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        var xs = AsLanes(x);
        var stats = SoftmaxMath<T, T, TMath>.Start();
        if (xs.Length > 0)
        {
            // Two running states: each step's result feeds the next only every other vector, so the steps overlap.
            var a = SoftmaxMath<Lanes<T>, T, VectorMath<T>>.Start();
            var b = a;
            int k = 0;
            for (; k + 1 < xs.Length; k += 2)
            {
                a = SoftmaxMath<Lanes<T>, T, VectorMath<T>>.Step(a, xs[k]);
                b = SoftmaxMath<Lanes<T>, T, VectorMath<T>>.Step(b, xs[k + 1]);
            }
            if (k < xs.Length)
            {
                a = SoftmaxMath<Lanes<T>, T, VectorMath<T>>.Step(a, xs[k]);
            }
            var lanes = SoftmaxMath<Lanes<T>, T, VectorMath<T>>.Merge(a, b);
            T max = lanes.Max[0];
            for (int lane = 1; lane < Vector<T>.Count; lane++)
            {
                max = SoftmaxMath<T, T, TMath>.Max(max, lanes.Max[lane]);
            }
            // Merged with the empty state (max, 0), every lane's sum is rescaled to the row's maximum.
            var common = SoftmaxMath<Lanes<T>, T, VectorMath<T>>.Merge(lanes,
                new MaxSum<Lanes<T>>(new Lanes<T>(max), default));
            stats = new MaxSum<T>(max, common.Sum.Sum());
        }
        for (int i = xs.Length * Vector<T>.Count; i < x.Length; i++)
        {
            stats = SoftmaxMath<T, T, TMath>.Step(stats, x[i]);
        }
        return stats;
    }

    /// <summary>
    /// Softmax (or log-softmax) backward of <paramref name="length"/> neighbouring rows at once, laid out as in
    /// <see cref="SoftmaxPanel{T, TMath}"/>: y and dx share one layout (<paramref name="at"/>,
    /// <paramref name="stride"/>), the gradient has its own. <paramref name="scratch"/> holds length values (the
    /// rows' sums of <see cref="SoftmaxMath{TLane, T, TMath}.DotTerm"/>).
    /// </summary>
    private static void SoftmaxGradPanel<T, TMath>(Span<T> y, Span<T> dx, int at, int stride, Span<T> g, int gAt,
        int gStride, int count, int length, Span<T> scratch, int log)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        var dot = scratch[..length];
        var dots = AsLanes(dot);
        int tail = dots.Length * Vector<T>.Count;
        dot.Clear();
        for (int j = 0; j < count; j++)
        {
            var gj = g.Slice(gAt + j * gStride, length);
            var yj = y.Slice(at + j * stride, length);
            var gjs = AsLanes(gj);
            var yjs = AsLanes(yj);
            for (int k = 0; k < dots.Length; k++)
            {
                dots[k] += SoftmaxMath<Lanes<T>, T, VectorMath<T>>.DotTerm(gjs[k], yjs[k], log);
            }
            for (int r = tail; r < length; r++)
            {
                dot[r] += SoftmaxMath<T, T, TMath>.DotTerm(gj[r], yj[r], log);
            }
        }
        for (int j = 0; j < count; j++)
        {
            var gj = g.Slice(gAt + j * gStride, length);
            var yj = y.Slice(at + j * stride, length);
            var dxj = dx.Slice(at + j * stride, length);
            var gjs = AsLanes(gj);
            var yjs = AsLanes(yj);
            var dxjs = AsLanes(dxj);
            for (int k = 0; k < dots.Length; k++)
            {
                dxjs[k] = SoftmaxMath<Lanes<T>, T, VectorMath<T>>.Grad(gjs[k], yjs[k], dots[k], log);
            }
            for (int r = tail; r < length; r++)
            {
                dxj[r] = SoftmaxMath<T, T, TMath>.Grad(gj[r], yj[r], dot[r], log);
            }
        }
    }

    /// <summary>One softmax backward row: the row's sum of the dot terms, then the gradient, lanes along the row and
    /// the scalar tail after.</summary>
    private static void SoftmaxGradRow<T, TMath>(Span<T> g, Span<T> y, Span<T> dx, int log)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        var gs = AsLanes(g);
        var ys = AsLanes(y);
        var ds = AsLanes(dx);
        int tail = gs.Length * Vector<T>.Count;
        var dots = default(Lanes<T>);
        for (int k = 0; k < gs.Length; k++)
        {
            dots += SoftmaxMath<Lanes<T>, T, VectorMath<T>>.DotTerm(gs[k], ys[k], log);
        }
        T dot = dots.Sum();
        for (int i = tail; i < g.Length; i++)
        {
            dot += SoftmaxMath<T, T, TMath>.DotTerm(g[i], y[i], log);
        }
        var dotLanes = new Lanes<T>(dot);
        for (int k = 0; k < ds.Length; k++)
        {
            ds[k] = SoftmaxMath<Lanes<T>, T, VectorMath<T>>.Grad(gs[k], ys[k], dotLanes, log);
        }
        for (int i = tail; i < dx.Length; i++)
        {
            dx[i] = SoftmaxMath<T, T, TMath>.Grad(g[i], y[i], dot, log);
        }
    }

    /// <summary>Writes a computed row back to its strided place (nothing to do when it was computed there).</summary>
    private static void StoreRow<T>(Span<T> row, Span<T> values, int start, int stride)
    {
        for (int j = 0, at = start; stride != 1 && j < row.Length; j++, at += stride)
        {
            values[at] = row[j];
        }
    }

    /// <summary>Runs <paramref name="body"/> with a pooled scratch span of <paramref name="length"/> values.</summary>
    private static void WithScratch<T>(int length, SpanAction<T> body)
    {
        T[] scratch = ArrayPool<T>.Shared.Rent(length);
        try
        {
            body(scratch.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<T>.Shared.Return(scratch);
        }
    }

    private delegate void SpanAction<T>(Span<T> scratch);

    /// <summary>Whether neighbouring rows start next to each other, in runs worth a vector: then panels fit.</summary>
    private static bool InPanels(Layout outer) => outer.Rank >= 1 && outer.S5 == 1 && outer.D5 >= MinVectorRow;

    /// <summary>
    /// Runs <paramref name="body"/>(first row, rows) over panels of neighbouring rows: each run of
    /// <paramref name="run"/> rows whose starts are consecutive cut into panels of at most <see cref="PanelLength"/>.
    /// Two layouts' runs (the innermost of their merged dimensions) are products of trailing dimensions, so the
    /// shorter divides the longer: callers pass the shorter.
    /// </summary>
    private static void ForPanels(int run, int rows, long work, Action<int, int> body)
    {
        int piecesPerRun = (run + PanelLength - 1) / PanelLength;
        ForRange(rows / run * piecesPerRun, work, (first, last) =>
        {
            for (int panel = first; panel < last; panel++)
            {
                int start = panel % piecesPerRun * PanelLength;
                body(panel / piecesPerRun * run + start, Math.Min(PanelLength, run - start));
            }
        });
    }
}
