using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using ILGPU;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

internal static partial class HostLoops
{
    /// <summary>
    /// Softmax (or log-softmax) rows on the CPU device, as <see cref="SoftmaxRowsBody{T, TMath}"/>: rows of float or
    /// double at least <see cref="MinVectorRow"/> long go through <see cref="TensorPrimitives"/> (a strided row is
    /// gathered first, and scattered back when y's row is strided too); shorter rows run the kernel's own body. Rows
    /// are split across cores.
    /// </summary>
    public static void Softmax<T, TMath>(ArrayView<T> x, ReduceShape xShape, ArrayView<T> y, ReduceShape yShape,
        bool log)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        int count = xShape.InnerCount, xStride = xShape.Inner.S5, yStride = yShape.Inner.S5;
        bool vectorRows = count >= MinVectorRow && SimdSpans.CanExp<T>();
        var body = new SoftmaxRowsBody<T, TMath>(x, xShape, y, yShape, log);
        // Every element is read and exponentiated once or twice: an exp costs several adds, so no divisor on the work.
        ForRange(xShape.OuterCount, (long)xShape.OuterCount * count, (first, last) =>
        {
            if (!vectorRows)
            {
                for (int row = first; row < last; row++)
                {
                    body.Execute(row);
                }
                return;
            }
            var xs = Span(x);
            var ys = Span(y);
            T[] scratch = ArrayPool<T>.Shared.Rent(2 * count);
            try
            {
                for (int row = first; row < last; row++)
                {
                    int yi = yShape.Outer.OffsetOf(row);
                    var output = yStride == 1 ? ys.Slice(yi, count) : scratch.AsSpan(count, count);
                    var values = RowOf(xs, xShape.Outer.OffsetOf(row), count, xStride, output);
                    SimdSpans.SoftmaxRow(values, scratch.AsSpan(0, count), output, log);
                    for (int j = 0; yStride != 1 && j < count; j++, yi += yStride)
                    {
                        ys[yi] = output[j];
                    }
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(scratch);
            }
        });
    }

    /// <summary>
    /// Softmax (or log-softmax) backward on the CPU device, as <see cref="SoftmaxGradRowsBody{T, TMath}"/>: rows of
    /// float or double at least <see cref="MinVectorRow"/> long whose y and dx rows are contiguous (the last axis) go
    /// through <see cref="TensorPrimitives"/>, a strided gradient row gathered first; others run the kernel's body.
    /// </summary>
    public static void SoftmaxBackward<T, TMath>(ArrayView<T> y, ArrayView<T> g, ReduceShape gShape, ArrayView<T> dx,
        ReduceShape shape, bool log)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        int count = shape.InnerCount, gStride = gShape.Inner.S5;
        bool vectorRows = count >= MinVectorRow && shape.Inner.S5 == 1 && SimdSpans.CanExp<T>();
        var body = new SoftmaxGradRowsBody<T, TMath>(y, g, gShape, dx, shape, log);
        ForRange(shape.OuterCount, (long)shape.OuterCount * count, (first, last) =>
        {
            if (!vectorRows)
            {
                for (int row = first; row < last; row++)
                {
                    body.Execute(row);
                }
                return;
            }
            var ys = Span(y);
            var gs = Span(g);
            var ds = Span(dx);
            T[] scratch = ArrayPool<T>.Shared.Rent(count);
            try
            {
                for (int row = first; row < last; row++)
                {
                    int at = shape.Outer.OffsetOf(row);
                    var gradient = RowOf(gs, gShape.Outer.OffsetOf(row), count, gStride, scratch);
                    SimdSpans.SoftmaxGradRow(gradient, ys.Slice(at, count), ds.Slice(at, count), log);
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(scratch);
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
