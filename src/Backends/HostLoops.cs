using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

/// <summary>
/// The CPU device's host loops over spans of the accelerator's host memory (host code reading through
/// <c>ArrayView</c> pays ~5–40 ns an element): the fused rows of cross-entropy and softmax, the optimizers' ranges,
/// and <see cref="ForRange"/>, which splits a loop across cores when the work pays for it (<see cref="HostPolicy"/>).
/// <see cref="HostExecutor"/> calls them; the generic element-wise and reduction loops are <see cref="SpanDrivers"/>.
/// </summary>
internal static partial class HostLoops
{
    private const int MinVectorRow = HostPolicy.MinVectorRow;

    private static long VectorWork(long elements) => HostPolicy.VectorWork(elements);

    /// <summary>
    /// Cross-entropy forward, one row of logits at a time, as <see cref="CrossEntropyRowsBody{T, TMath}"/>: the row's
    /// maximum m, s = ln Σⱼ e^(xⱼ − m), the loss s − (x[target] − m), and (m, s) into stats[2·row], stats[2·row + 1].
    /// Rows of float or double at least <see cref="MinVectorRow"/> wide go through <see cref="TensorPrimitives"/>
    /// (max, x − m, exp and Σ into a per-thread scratch row; a strided row is gathered into it first); shorter rows
    /// take the kernel's scalar loop. Rows are split across cores.
    /// </summary>
    public static void CrossEntropyRows<T, TMath>(ArrayView<T> x, Layout rows, int n, int classes, int colStride,
        ArrayView<T> targets, ArrayView<T> loss, ArrayView<T> stats)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        // ILossMath is public, so T may be other than float or double (the library's LossMath is only those two):
        // such rows take the scalar loop.
        bool vectorRows = classes >= MinVectorRow && SimdSpans.CanExp<T>();
        // Every logit is read and exponentiated once: an exp costs several adds, so no divisor on the work.
        ForRange(n, (long)n * classes, (first, last) =>
        {
            TMath math = default;
            var xs = Span(x);
            var ts = Span(targets);
            var ls = Span(loss);
            var ss = Span(stats);
            T[]? scratch = vectorRows ? ArrayPool<T>.Shared.Rent(classes) : null;
            try
            {
                for (int row = first; row < last; row++)
                {
                    int start = rows.OffsetOf(row);
                    T max, logSum;
                    if (scratch is not null)
                    {
                        var exps = scratch.AsSpan(0, classes);
                        var values = RowOf(xs, start, classes, colStride, exps);
                        (max, T sum) = SimdSpans.MaxAndSumExp(values, exps);
                        logSum = math.Log(sum);
                    }
                    else
                    {
                        max = xs[start];
                        for (int j = 1, xi = start + colStride; j < classes; j++, xi += colStride)
                        {
                            max = math.Max(max, xs[xi]);
                        }
                        T sum = T.Zero;
                        for (int j = 0, xi = start; j < classes; j++, xi += colStride)
                        {
                            sum += math.Exp(xs[xi] - max);
                        }
                        logSum = math.Log(sum);
                    }
                    ss[2 * row] = max;
                    ss[2 * row + 1] = logSum;
                    ls[row] = logSum - (xs[start + math.ToIndex(ts[row]) * colStride] - max);
                }
            }
            finally
            {
                if (scratch is not null)
                {
                    ArrayPool<T>.Shared.Return(scratch);
                }
            }
        });
    }

    /// <summary>
    /// Cross-entropy backward for a contiguous dx [n, C], as <see cref="CrossEntropyGradBody{T, TMath}"/>:
    /// dxᵢⱼ = (e^((xᵢⱼ − mᵢ) − sᵢ) − [j = tᵢ]) · (g · scale) with (mᵢ, sᵢ) from the forward's stats and g the one element
    /// of <paramref name="gradOutput"/>. Rows as in <see cref="CrossEntropyRows{T, TMath}"/>, with dx's own row as
    /// the scratch: x − m, − s, exp, the one-hot subtracted at the target and the factor applied in place.
    /// </summary>
    public static void CrossEntropyBackward<T, TMath>(ArrayView<T> x, Layout rows, int n, int classes, int colStride,
        ArrayView<T> targets, ArrayView<T> stats, ArrayView<T> gradOutput, T scale, ArrayView<T> dx)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        bool vectorRows = classes >= MinVectorRow && SimdSpans.CanExp<T>(); // as in CrossEntropyRows
        ForRange(n, (long)n * classes, (first, last) =>
        {
            TMath math = default;
            var xs = Span(x);
            var ts = Span(targets);
            var ss = Span(stats);
            var ds = Span(dx);
            T factor = Span(gradOutput)[0] * scale;
            for (int row = first; row < last; row++)
            {
                int start = rows.OffsetOf(row), target = math.ToIndex(ts[row]);
                T max = ss[2 * row], logSum = ss[2 * row + 1];
                var d = ds.Slice(row * classes, classes);
                if (vectorRows)
                {
                    var values = RowOf(xs, start, classes, colStride, d);
                    SimdSpans.ShiftedExp(values, max, logSum, d);
                    // p − 1 at the target, p − 0 = p elsewhere: the kernel's (p − hit), then its one multiply.
                    if ((uint)target < (uint)classes)
                    {
                        d[target] -= T.One;
                    }
                    SimdSpans.Scale(d, factor);
                    continue;
                }
                for (int j = 0, xi = start; j < classes; j++, xi += colStride)
                {
                    T p = math.Exp(xs[xi] - max - logSum);
                    d[j] = (p - (j == target ? T.One : T.Zero)) * factor;
                }
            }
        });
    }

    /// <summary>The row of <paramref name="count"/> elements at <paramref name="start"/>, every
    /// <paramref name="stride"/>-th: a slice of <paramref name="values"/> when contiguous, else gathered into
    /// <paramref name="scratch"/> (at least <paramref name="count"/> long).</summary>
    private static Span<T> RowOf<T>(Span<T> values, int start, int count, int stride, Span<T> scratch)
    {
        if (stride == 1)
        {
            return values.Slice(start, count);
        }
        var row = scratch[..count];
        for (int j = 0, xi = start; j < count; j++, xi += stride)
        {
            row[j] = values[xi];
        }
        return row;
    }

    /// <summary>A span over CPU-accelerator memory (host memory); valid on the CPU device only.</summary>
    public static Span<T> Span<T>(ArrayView<T> view) where T : unmanaged =>
        view.Length == 0 ? [] : MemoryMarshal.Cast<byte, T>(MemoryMarshal.CreateSpan(ref view.LoadEffectiveAddress(),
            checked((int)view.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>())));

    /// <summary>
    /// Runs <paramref name="body"/> over [0, count) in one piece, or in one contiguous piece per core when
    /// <paramref name="work"/> (elements touched, vectorised ones weighed by <see cref="HostPolicy.VectorWork"/>) is
    /// large enough to pay for the threads. Nothing runs when count is 0. The executor counts the launch.
    /// </summary>
    public static void ForRange(int count, long work, Action<int, int> body)
    {
        if (count <= 0)
        {
            return;
        }
        int chunks = HostPolicy.Chunks(count, work);
        if (chunks <= 1)
        {
            body(0, count);
            return;
        }
        int per = (count + chunks - 1) / chunks;
        Parallel.For(0, chunks, c => body(c * per, Math.Min(count, (c + 1) * per)));
    }
}

/// <summary>
/// The fused rows' vector steps through <see cref="TensorPrimitives"/> (float and double): the shift, exponential
/// and sum of a softmax or cross-entropy row. The type tests are constants for the JIT.
/// </summary>
internal static partial class SimdSpans
{
    /// <summary>Whether T has the vectorised exp of <see cref="MaxAndSumExp{T}"/> and <see cref="ShiftedExp{T}"/>.</summary>
    public static bool CanExp<T>() where T : unmanaged => typeof(T) == typeof(float) || typeof(T) == typeof(double);

    /// <summary>
    /// m = max x (NaN propagates) and Σ e^(x − m) of a non-empty row, float or double, with the exponentials written
    /// to <paramref name="scratch"/> (x's length; it may be x itself). The differences round as the scalar loop's;
    /// exp is within about an ulp of it, and the sum adds in vector lanes (see <see cref="SpanDrivers.Reduce{T, TOp}"/>).
    /// </summary>
    public static (T Max, T SumExp) MaxAndSumExp<T>(Span<T> x, Span<T> scratch) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            var (max, sum) = MaxAndSumExpNumbers<float>(As<T, float>(x), As<T, float>(scratch));
            return (ScalarAs<float, T>(max), ScalarAs<float, T>(sum));
        }
        if (typeof(T) == typeof(double))
        {
            var (max, sum) = MaxAndSumExpNumbers<double>(As<T, double>(x), As<T, double>(scratch));
            return (ScalarAs<double, T>(max), ScalarAs<double, T>(sum));
        }
        throw Unsupported<T>();
    }

    private static (TNumber Max, TNumber SumExp) MaxAndSumExpNumbers<TNumber>(ReadOnlySpan<TNumber> x,
        Span<TNumber> scratch)
        where TNumber : unmanaged, IFloatingPointIeee754<TNumber>
    {
        TNumber max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, scratch);
        TensorPrimitives.Exp(scratch, scratch);
        return (max, TensorPrimitives.Sum<TNumber>(scratch));
    }

    /// <summary>
    /// y = e^((x − m) − s), float or double (y may be x): the two subtractions round as the scalar loop's, exp within
    /// about an ulp of it.
    /// </summary>
    public static void ShiftedExp<T>(Span<T> x, T m, T s, Span<T> y) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            ShiftedExpNumbers(As<T, float>(x), ScalarAs<T, float>(m), ScalarAs<T, float>(s), As<T, float>(y));
        }
        else if (typeof(T) == typeof(double))
        {
            ShiftedExpNumbers(As<T, double>(x), ScalarAs<T, double>(m), ScalarAs<T, double>(s), As<T, double>(y));
        }
        else
        {
            throw Unsupported<T>();
        }
    }

    private static void ShiftedExpNumbers<TNumber>(ReadOnlySpan<TNumber> x, TNumber m, TNumber s, Span<TNumber> y)
        where TNumber : unmanaged, IFloatingPointIeee754<TNumber>
    {
        TensorPrimitives.Subtract(x, m, y);
        TensorPrimitives.Subtract(y, s, y);
        TensorPrimitives.Exp(y, y);
    }

    private static TTo ScalarAs<TFrom, TTo>(TFrom value) =>
        System.Runtime.CompilerServices.Unsafe.As<TFrom, TTo>(ref value);

    /// <summary>x ·= scale (float or double), exactly as the scalar multiply.</summary>
    public static void Scale<T>(Span<T> x, T scale) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            TensorPrimitives.Multiply(As<T, float>(x), ScalarAs<T, float>(scale), As<T, float>(x));
        }
        else if (typeof(T) == typeof(double))
        {
            TensorPrimitives.Multiply(As<T, double>(x), ScalarAs<T, double>(scale), As<T, double>(x));
        }
        else
        {
            throw Unsupported<T>();
        }
    }

    /// <summary>The vectorised paths are for float and double only; callers check with the Can… tests first.</summary>
    private static NotSupportedException Unsupported<T>() =>
        new($"SimdSpans: no vectorised path for {typeof(T).Name}; only float and double have one");

    private static Span<TTo> As<TFrom, TTo>(Span<TFrom> span) where TFrom : unmanaged where TTo : unmanaged =>
        MemoryMarshal.Cast<TFrom, TTo>(span);
}
