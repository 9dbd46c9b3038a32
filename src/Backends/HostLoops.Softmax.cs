using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using ILGPU;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

internal static partial class HostLoops
{
    // Rows that run across memory (softmax along a leading axis) are taken in panels of this many neighbouring rows.
    private const int PanelLength = 1024;

    /// <summary>
    /// Softmax (or log-softmax) rows on the CPU device, as <see cref="SoftmaxRowsBody{T, TMath}"/>, split across
    /// cores and vectorised for float and double: rows along a leading axis, whose neighbours are neighbours in memory,
    /// in panels of up to <see cref="PanelLength"/> rows at once (each step of the row is one contiguous run across
    /// the panel); other rows one at a time (a strided row gathered first, and scattered back when y's row is strided
    /// too) — even rows of a few elements, where the vector calls still beat a scalar loop's exponentials. Another T
    /// runs the kernel's own body.
    /// </summary>
    public static void Softmax<T, TMath>(ArrayView<T> x, ReduceShape xShape, ArrayView<T> y, ReduceShape yShape,
        bool log)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        int count = xShape.InnerCount, xStride = xShape.Inner.S5, yStride = yShape.Inner.S5;
        // Every element is read and exponentiated once or twice: an exp costs several adds, so no divisor on the work.
        long elements = (long)xShape.OuterCount * count;
        if (!SimdSpans.CanExp<T>())
        {
            var body = new SoftmaxRowsBody<T, TMath>(x, xShape, y, yShape, log);
            ForRange(xShape.OuterCount, elements, (first, last) => ExecuteRows(body, first, last));
            return;
        }
        if (InPanels(xShape.Outer) && InPanels(yShape.Outer))
        {
            ForPanels(Math.Min(xShape.Outer.D5, yShape.Outer.D5), xShape.OuterCount, elements, (first, length) =>
                WithScratch<T>(2 * length, scratch => SimdSpans.SoftmaxPanel(Span(x), xShape.Outer.OffsetOf(first),
                    xStride, Span(y), yShape.Outer.OffsetOf(first), yStride, count, length, scratch, log)));
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
                SimdSpans.SoftmaxRow(values, scratch[..count], output, log);
                StoreRow(output, ys, yi, yStride);
            }
        }));
    }

    /// <summary>
    /// Softmax (or log-softmax) backward on the CPU device, as <see cref="SoftmaxGradRowsBody{T, TMath}"/>, split
    /// across cores and vectorised for float and double as the forward: rows along a leading axis in panels (when the
    /// gradient's rows lie like y's), other rows one at a time (strided rows of y and the gradient gathered, and dx's
    /// scattered back). Another T runs the kernel's own body.
    /// </summary>
    public static void SoftmaxBackward<T, TMath>(ArrayView<T> y, ArrayView<T> g, ReduceShape gShape, ArrayView<T> dx,
        ReduceShape shape, bool log)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        int count = shape.InnerCount, stride = shape.Inner.S5, gStride = gShape.Inner.S5;
        long elements = (long)shape.OuterCount * count;
        if (!SimdSpans.CanExp<T>())
        {
            var body = new SoftmaxGradRowsBody<T, TMath>(y, g, gShape, dx, shape, log);
            ForRange(shape.OuterCount, elements, (first, last) => ExecuteRows(body, first, last));
            return;
        }
        if (InPanels(shape.Outer) && InPanels(gShape.Outer))
        {
            ForPanels(Math.Min(shape.Outer.D5, gShape.Outer.D5), shape.OuterCount, elements, (first, length) =>
                WithScratch<T>(length, scratch => SimdSpans.SoftmaxGradPanel(Span(y), Span(dx),
                    shape.Outer.OffsetOf(first), stride, Span(g), gShape.Outer.OffsetOf(first), gStride, count,
                    length, scratch, log)));
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
                SimdSpans.SoftmaxGradRow(gradient, output, d, log);
                StoreRow(d, ds, at, stride);
            }
        }));
    }

    /// <summary>Runs an element body over [first, last) on the host (types without a vectorised path).</summary>
    private static void ExecuteRows<TBody>(TBody body, int first, int last) where TBody : struct, IElementBody
    {
        for (int row = first; row < last; row++)
        {
            body.Execute(row);
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

internal static partial class SimdSpans
{
    /// <summary>
    /// One softmax row, float or double: m = max x, eˣ⁻ᵐ into <paramref name="exps"/>, then y = eˣ⁻ᵐ · (1/Σ) — or,
    /// with <paramref name="log"/>, y = (x − m) − ln Σ. <paramref name="y"/> may be <paramref name="x"/> itself.
    /// </summary>
    public static void SoftmaxRow<T>(Span<T> x, Span<T> exps, Span<T> y, bool log) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            SoftmaxRowNumbers(As<T, float>(x), As<T, float>(exps), As<T, float>(y), log);
        }
        else if (typeof(T) == typeof(double))
        {
            SoftmaxRowNumbers(As<T, double>(x), As<T, double>(exps), As<T, double>(y), log);
        }
        else
        {
            throw Unsupported<T>();
        }
    }

    private static void SoftmaxRowNumbers<TNumber>(Span<TNumber> x, Span<TNumber> exps, Span<TNumber> y, bool log)
        where TNumber : unmanaged, IFloatingPointIeee754<TNumber>
    {
        var (max, sum) = MaxAndSumExpNumbers<TNumber>(x, exps);
        if (log)
        {
            TensorPrimitives.Subtract(x, max, y);
            TensorPrimitives.Subtract(y, TNumber.Log(sum), y);
        }
        else
        {
            TensorPrimitives.Multiply(exps, TNumber.One / sum, y);
        }
    }

    /// <summary>
    /// Softmax (or log-softmax) of <paramref name="length"/> neighbouring rows at once, float or double: element j of
    /// row r is x[xAt + j·xStride + r] (and y likewise), so each step along the rows is one contiguous run across
    /// the panel. <paramref name="scratch"/> holds 2·length values (the rows' maxima and sums).
    /// </summary>
    public static void SoftmaxPanel<T>(Span<T> x, int xAt, int xStride, Span<T> y, int yAt, int yStride, int count,
        int length, Span<T> scratch, bool log) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            SoftmaxPanelNumbers(As<T, float>(x), xAt, xStride, As<T, float>(y), yAt, yStride, count, length,
                As<T, float>(scratch), log);
        }
        else if (typeof(T) == typeof(double))
        {
            SoftmaxPanelNumbers(As<T, double>(x), xAt, xStride, As<T, double>(y), yAt, yStride, count, length,
                As<T, double>(scratch), log);
        }
        else
        {
            throw Unsupported<T>();
        }
    }

    private static void SoftmaxPanelNumbers<TNumber>(Span<TNumber> x, int xAt, int xStride, Span<TNumber> y, int yAt,
        int yStride, int count, int length, Span<TNumber> scratch, bool log)
        where TNumber : unmanaged, IFloatingPointIeee754<TNumber>
    {
        var max = scratch[..length];
        var sum = scratch.Slice(length, length);
        x.Slice(xAt, length).CopyTo(max);
        for (int j = 1; j < count; j++)
        {
            TensorPrimitives.Max(max, x.Slice(xAt + j * xStride, length), max);
        }
        sum.Clear();
        for (int j = 0; j < count; j++)
        {
            var yj = y.Slice(yAt + j * yStride, length);
            TensorPrimitives.Subtract(x.Slice(xAt + j * xStride, length), max, yj);
            TensorPrimitives.Exp(yj, yj);
            TensorPrimitives.Add(sum, yj, sum);
        }
        if (log)
        {
            TensorPrimitives.Log(sum, sum);
        }
        else
        {
            TensorPrimitives.Divide(TNumber.One, sum, sum);
        }
        for (int j = 0; j < count; j++)
        {
            var yj = y.Slice(yAt + j * yStride, length);
            if (log)
            {
                TensorPrimitives.Subtract(x.Slice(xAt + j * xStride, length), max, yj);
                TensorPrimitives.Subtract(yj, sum, yj);
            }
            else
            {
                TensorPrimitives.Multiply(yj, sum, yj);
            }
        }
    }

    /// <summary>
    /// Softmax (or log-softmax) backward of <paramref name="length"/> neighbouring rows at once, laid out as in
    /// <see cref="SoftmaxPanel{T}"/>: y and dx share one layout (<paramref name="at"/>, <paramref name="stride"/>),
    /// the gradient has its own. <paramref name="scratch"/> holds length values (the rows' Σ g·y or Σ g).
    /// </summary>
    public static void SoftmaxGradPanel<T>(Span<T> y, Span<T> dx, int at, int stride, Span<T> g, int gAt, int gStride,
        int count, int length, Span<T> scratch, bool log) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            SoftmaxGradPanelNumbers(As<T, float>(y), As<T, float>(dx), at, stride, As<T, float>(g), gAt, gStride,
                count, length, As<T, float>(scratch), log);
        }
        else if (typeof(T) == typeof(double))
        {
            SoftmaxGradPanelNumbers(As<T, double>(y), As<T, double>(dx), at, stride, As<T, double>(g), gAt, gStride,
                count, length, As<T, double>(scratch), log);
        }
        else
        {
            throw Unsupported<T>();
        }
    }

    private static void SoftmaxGradPanelNumbers<TNumber>(Span<TNumber> y, Span<TNumber> dx, int at, int stride,
        Span<TNumber> g, int gAt, int gStride, int count, int length, Span<TNumber> scratch, bool log)
        where TNumber : unmanaged, IFloatingPointIeee754<TNumber>
    {
        var dot = scratch[..length];
        dot.Clear();
        for (int j = 0; j < count; j++)
        {
            var gj = g.Slice(gAt + j * gStride, length);
            if (log)
            {
                TensorPrimitives.Add(dot, gj, dot);
            }
            else
            {
                TensorPrimitives.MultiplyAdd(gj, y.Slice(at + j * stride, length), dot, dot);
            }
        }
        for (int j = 0; j < count; j++)
        {
            var gj = g.Slice(gAt + j * gStride, length);
            var yj = y.Slice(at + j * stride, length);
            var dxj = dx.Slice(at + j * stride, length);
            if (log)
            {
                TensorPrimitives.Exp(yj, dxj);
                TensorPrimitives.Multiply(dxj, dot, dxj);
                TensorPrimitives.Subtract(gj, dxj, dxj);
            }
            else
            {
                TensorPrimitives.Subtract(gj, dot, dxj);
                TensorPrimitives.Multiply(dxj, yj, dxj);
            }
        }
    }

    /// <summary>
    /// One softmax backward row, float or double: dx = y ⊙ (g − g·y), or with <paramref name="log"/> (y the
    /// log-softmax) dx = g − eʸ · Σg.
    /// </summary>
    public static void SoftmaxGradRow<T>(Span<T> g, Span<T> y, Span<T> dx, bool log) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            SoftmaxGradRowNumbers(As<T, float>(g), As<T, float>(y), As<T, float>(dx), log);
        }
        else if (typeof(T) == typeof(double))
        {
            SoftmaxGradRowNumbers(As<T, double>(g), As<T, double>(y), As<T, double>(dx), log);
        }
        else
        {
            throw Unsupported<T>();
        }
    }

    private static void SoftmaxGradRowNumbers<TNumber>(ReadOnlySpan<TNumber> g, ReadOnlySpan<TNumber> y,
        Span<TNumber> dx, bool log)
        where TNumber : unmanaged, IFloatingPointIeee754<TNumber>
    {
        if (log)
        {
            TNumber sum = TensorPrimitives.Sum(g);
            TensorPrimitives.Exp(y, dx);
            TensorPrimitives.Multiply(dx, sum, dx);
            TensorPrimitives.Subtract(g, dx, dx);
            return;
        }
        TNumber dot = TensorPrimitives.Dot(g, y);
        TensorPrimitives.Subtract(g, dot, dx);
        TensorPrimitives.Multiply(dx, y, dx);
    }
}
