using System.Numerics;
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

    /// <summary>
    /// Cross-entropy forward, one row of logits at a time, as <see cref="CrossEntropyRowsBody{T, TMath}"/>: the row's
    /// maximum m and Σⱼ e^(xⱼ − m) in one read (<see cref="RowMaxSum{T, TMath}"/>: vector lanes along the row; a
    /// strided row is gathered into a per-thread scratch row first), s = ln Σ, the loss
    /// (<see cref="CrossEntropyMath{TLane, T, TMath}.Loss"/>), and (m, s) into stats[2·row], stats[2·row + 1]. Rows
    /// are split across cores.
    /// </summary>
    public static void CrossEntropyRows<T, TMath>(ArrayView<T> x, Layout rows, int n, int classes, int colStride,
        ArrayView<T> targets, ArrayView<T> loss, ArrayView<T> stats)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        // Every logit is read and exponentiated once: an exp costs several adds, so no divisor on the work.
        ForRange(n, (long)n * classes, (first, last) => WithScratch<T>(classes, scratch =>
        {
            TMath math = default;
            var xs = Span(x);
            var ts = Span(targets);
            var ls = Span(loss);
            var ss = Span(stats);
            for (int row = first; row < last; row++)
            {
                int start = rows.OffsetOf(row);
                var stats = RowMaxSum<T, TMath>(RowOf(xs, start, classes, colStride, scratch));
                T logSum = math.Log(stats.Sum);
                ss[2 * row] = stats.Max;
                ss[2 * row + 1] = logSum;
                ls[row] = CrossEntropyMath<T, T, TMath>.Loss(xs[start + math.ToIndex(ts[row]) * colStride],
                    stats.Max, logSum);
            }
        }));
    }

    /// <summary>
    /// Cross-entropy backward for a contiguous dx [n, C], as <see cref="CrossEntropyGradBody{T, TMath}"/>:
    /// <see cref="CrossEntropyMath{TLane, T, TMath}.Grad"/> with (mᵢ, sᵢ) from the forward's stats and the factor
    /// g · scale (g the one element of <paramref name="gradOutput"/>), on vector lanes along each row and its scalar
    /// tail; a strided row of logits is gathered into dx's row first and computed in place.
    /// </summary>
    public static void CrossEntropyBackward<T, TMath>(ArrayView<T> x, Layout rows, int n, int classes, int colStride,
        ArrayView<T> targets, ArrayView<T> stats, ArrayView<T> gradOutput, T scale, ArrayView<T> dx)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        ForRange(n, (long)n * classes, (first, last) =>
        {
            TMath math = default;
            var xs = Span(x);
            var ts = Span(targets);
            var ss = Span(stats);
            var ds = Span(dx);
            T factor = Span(gradOutput)[0] * scale;
            var factorLanes = new Lanes<T>(factor);
            for (int row = first; row < last; row++)
            {
                int target = math.ToIndex(ts[row]);
                T max = ss[2 * row], logSum = ss[2 * row + 1];
                var d = ds.Slice(row * classes, classes);
                var values = RowOf(xs, rows.OffsetOf(row), classes, colStride, d);
                var vs = AsLanes(values);
                var lanes = AsLanes(d);
                var (maxLanes, logSumLanes) = (new Lanes<T>(max), new Lanes<T>(logSum));
                for (int k = 0; k < lanes.Length; k++)
                {
                    lanes[k] = CrossEntropyMath<Lanes<T>, T, VectorMath<T>>.Grad(vs[k], maxLanes, logSumLanes,
                        k * Vector<T>.Count, target, factorLanes);
                }
                for (int j = lanes.Length * Vector<T>.Count; j < classes; j++)
                {
                    d[j] = CrossEntropyMath<T, T, TMath>.Grad(values[j], max, logSum, j, target, factor);
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
