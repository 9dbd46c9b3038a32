using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

/// <summary>
/// The CPU device's strided element-wise and reduction loops: the same operator structs and <see cref="Layout"/>s as
/// the kernels, run over spans of the accelerator's host memory. Host code reading through <c>ArrayView</c> pays
/// ~5–40 ns an element, and decoding every index with div/mod costs more; here each row of the innermost dimension
/// is decoded once and walked with its stride. Rows are split across cores when the work is large.
/// </summary>
internal static partial class HostLoops
{
    private const long ParallelMinElements = 1 << 16;

    // A vectorised element costs about a quarter of a scalar one, so it takes four times as many to pay for the threads
    // (on a 2-core VM a 64K-element add took 42 µs split across cores, 8 µs vectorised on one).
    private const int VectorisedCostDivisor = 4;

    // Rows shorter than this stay in the scalar loop: the vectorised call's set-up would cost more than it saves.
    private const int MinVectorRow = 8;

    /// <summary>
    /// y = op(x) over contiguous views, split across cores: a 4M-element add takes ~2 ms this way against ~20 ms
    /// through ILGPU's CPU accelerator, whose per-element index bookkeeping dominates.
    /// </summary>
    public static void Map<T, TOp>(ArrayView<T> x, ArrayView<T> y, TOp op)
        where T : unmanaged
        where TOp : struct, IUnaryOp<T>
    {
        long work = SimdSpans.CanMap<T, TOp>() ? VectorWork(y.Length) : y.Length;
        ForRange((int)y.Length, work, (first, last) =>
        {
            var xs = Span(x)[first..last];
            var ys = Span(y)[first..last];
            if (SimdSpans.Map<T, TOp>(xs, ys))
            {
                return;
            }
            for (int i = 0; i < ys.Length; i++)
            {
                ys[i] = op.Apply(xs[i]);
            }
        });
    }

    /// <summary>c = op(a, b) over contiguous views of one shape, split across cores.</summary>
    public static void Zip<T, TOp>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, TOp op)
        where T : unmanaged
        where TOp : struct, IBinaryOp<T>
    {
        long work = SimdSpans.CanZip<T, TOp>() ? VectorWork(c.Length) : c.Length;
        ForRange((int)c.Length, work, (first, last) =>
        {
            var xs = Span(a)[first..last];
            var ys = Span(b)[first..last];
            var zs = Span(c)[first..last];
            if (SimdSpans.Zip<T, TOp>(xs, ys, zs))
            {
                return;
            }
            for (int i = 0; i < zs.Length; i++)
            {
                zs[i] = op.Apply(xs[i], ys[i]);
            }
        });
    }

    /// <summary>y[i] = op(x[xLayout(i)]) for a contiguous y of <paramref name="size"/> elements.</summary>
    public static void Map<T, TOp>(ArrayView<T> x, Layout xLayout, ArrayView<T> y, int size, TOp op)
        where T : unmanaged
        where TOp : struct, IUnaryOp<T>
    {
        int inner = xLayout.D5;
        bool vectorRows = inner >= MinVectorRow && xLayout.S5 == 1 && SimdSpans.CanMap<T, TOp>();
        ForRows(size, inner, vectorRows ? VectorWork(size) : size, (first, last) =>
        {
            var xs = Span(x);
            var ys = Span(y);
            for (int row = first; row < last; row++)
            {
                int xi = xLayout.OffsetOf(row * inner), yi = row * inner;
                if (vectorRows && SimdSpans.Map<T, TOp>(xs.Slice(xi, inner), ys.Slice(yi, inner)))
                {
                    continue;
                }
                for (int j = 0; j < inner; j++, xi += xLayout.S5)
                {
                    ys[yi + j] = op.Apply(xs[xi]);
                }
            }
        });
    }

    /// <summary>c[i] = op(a[aLayout(i)], b[bLayout(i)]) for a contiguous c; both layouts walk c's shape.</summary>
    public static void Zip<T, TOp>(ArrayView<T> a, Layout aLayout, ArrayView<T> b, Layout bLayout, ArrayView<T> c,
        int size, TOp op)
        where T : unmanaged
        where TOp : struct, IBinaryOp<T>
    {
        int inner = aLayout.D5;
        // Rows where each operand is contiguous or one broadcast value (a bias row, a column of maxima) go through
        // the vectorised loops: x + row, x − column, x / column, … bit for bit what the scalar loop computes. A row
        // where both are broadcast is one value, computed once by the op itself.
        bool vectorRows = inner >= MinVectorRow && aLayout.S5 is 0 or 1 && bLayout.S5 is 0 or 1 &&
                          SimdSpans.CanZip<T, TOp>();
        bool bothBroadcast = aLayout.S5 == 0 && bLayout.S5 == 0;
        ForRows(size, inner, vectorRows ? VectorWork(size) : size, (first, last) =>
        {
            var xs = Span(a);
            var ys = Span(b);
            var zs = Span(c);
            for (int row = first; row < last; row++)
            {
                int ai = aLayout.OffsetOf(row * inner), bi = bLayout.OffsetOf(row * inner), ci = row * inner;
                if (vectorRows && bothBroadcast)
                {
                    zs.Slice(ci, inner).Fill(op.Apply(xs[ai], ys[bi]));
                    continue;
                }
                if (vectorRows)
                {
                    SimdSpans.ZipRow<T, TOp>(Run(xs, ai, inner, aLayout.S5), Run(ys, bi, inner, bLayout.S5),
                        zs.Slice(ci, inner));
                    continue;
                }
                for (int j = 0; j < inner; j++, ai += aLayout.S5, bi += bLayout.S5)
                {
                    zs[ci + j] = op.Apply(xs[ai], ys[bi]);
                }
            }
        });
    }

    /// <summary>
    /// dx[i] = (p[pLayout(i)] − t[tLayout(i)]) · (g · scale) for a contiguous dx, as <see cref="MseGradBody{T}"/>, with
    /// g the one element of <paramref name="gradOutput"/>. Two layouts of rank ≤ 1 are single runs, walked by element
    /// (split across cores like a contiguous zip); otherwise both walk dx's shape, row by row.
    /// </summary>
    public static void MseBackward<T>(ArrayView<T> p, Layout pLayout, ArrayView<T> t, Layout tLayout,
        ArrayView<T> gradOutput, T scale, ArrayView<T> dx, int size)
        where T : unmanaged, INumber<T>
    {
        if (pLayout.Rank <= 1 && tLayout.Rank <= 1)
        {
            ForRange(size, size, (first, last) =>
            {
                var ps = Span(p);
                var ts = Span(t);
                var ds = Span(dx);
                T factor = Span(gradOutput)[0] * scale;
                int pi = pLayout.OffsetOf(first), ti = tLayout.OffsetOf(first);
                for (int i = first; i < last; i++, pi += pLayout.S5, ti += tLayout.S5)
                {
                    ds[i] = (ps[pi] - ts[ti]) * factor;
                }
            });
            return;
        }
        int inner = pLayout.D5;
        ForRows(size, inner, size, (first, last) =>
        {
            var ps = Span(p);
            var ts = Span(t);
            var ds = Span(dx);
            T factor = Span(gradOutput)[0] * scale;
            for (int row = first; row < last; row++)
            {
                int pi = pLayout.OffsetOf(row * inner), ti = tLayout.OffsetOf(row * inner), di = row * inner;
                for (int j = 0; j < inner; j++, pi += pLayout.S5, ti += tLayout.S5)
                {
                    ds[di + j] = (ps[pi] - ts[ti]) * factor;
                }
            }
        });
    }

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

    /// <summary>y[yLayout(i)] = x[xLayout(i)] for two views of one shape.</summary>
    public static void Copy<T>(ArrayView<T> x, Layout xLayout, ArrayView<T> y, Layout yLayout, int size)
        where T : unmanaged
    {
        int inner = xLayout.D5;
        ForRows(size, inner, size, (first, last) =>
        {
            var xs = Span(x);
            var ys = Span(y);
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

    /// <summary>
    /// One output per row of the reduced block, as <see cref="ReduceRowsBody{T, TOp}"/>. Sums, maxima and minima of
    /// float and double take vectorised paths: contiguous runs through <see cref="TensorPrimitives"/>; a reduction
    /// over a leading axis (contiguous outputs, as a bias gradient) accumulates whole rows of outputs at once, in the
    /// scalar loop's order; and a few long contiguous runs (a full sum) are cut into one piece per core.
    /// </summary>
    public static void Reduce<T, TOp>(ArrayView<T> x, ArrayView<T> y, ReduceShape shape, T scale, TOp op)
        where T : unmanaged, INumber<T>
        where TOp : struct, IReduceOp<T>
    {
        int inner = shape.Inner.D5;
        long elements = (long)shape.OuterCount * shape.InnerCount;
        bool simd = SimdSpans.CanReduce<T, TOp>() && shape.Inner.Rank == 1;
        if (simd && shape.Outer.Rank == 1 && shape.Outer.S5 == 1 && shape.Inner.S5 != 1 &&
            shape.OuterCount >= MinVectorRow)
        {
            ReduceLeading(x, y, shape, scale, op, VectorWork(elements));
            return;
        }
        bool contiguousRuns = simd && shape.Inner.S5 == 1 && inner >= MinVectorRow;
        long work = contiguousRuns ? VectorWork(elements) : elements;
        if (contiguousRuns && shape.OuterCount < Environment.ProcessorCount && WorthSplitting(work))
        {
            ReduceInPieces(x, y, shape, scale, op, work);
            return;
        }
        ForRange(shape.OuterCount, work, (first, last) =>
        {
            var xs = Span(x);
            var ys = Span(y);
            for (int o = first; o < last; o++)
            {
                int start = shape.Outer.OffsetOf(o);
                T acc = op.Identity;
                for (int r = 0; r < shape.InnerCount; r += inner)
                {
                    int xi = start + shape.Inner.OffsetOf(r);
                    if (contiguousRuns)
                    {
                        acc = op.Combine(acc, SimdSpans.Reduce<T, TOp>(xs.Slice(xi, inner)));
                        continue;
                    }
                    for (int j = 0; j < inner; j++, xi += shape.Inner.S5)
                    {
                        acc = op.Combine(acc, xs[xi]);
                    }
                }
                ys[o] = acc * scale;
            }
        });
    }

    /// <summary>
    /// y[o] = op over r of x[outer + o + inner(r)] with contiguous outputs: each thread keeps a slice of outputs and
    /// folds whole rows into it, reading memory in order instead of striding down a column per output.
    /// </summary>
    private static void ReduceLeading<T, TOp>(ArrayView<T> x, ArrayView<T> y, ReduceShape shape, T scale, TOp op,
        long work)
        where T : unmanaged, INumber<T>
        where TOp : struct, IReduceOp<T>
    {
        ForRange(shape.OuterCount, work, (first, last) =>
        {
            var xs = Span(x);
            var ys = Span(y)[first..last];
            ys.Fill(op.Identity);
            int start = shape.Outer.Offset + first;
            for (int r = 0; r < shape.InnerCount; r++)
            {
                SimdSpans.Accumulate<T, TOp>(ys, xs.Slice(start + shape.Inner.OffsetOf(r), ys.Length));
            }
            if (scale != T.One)
            {
                SimdSpans.Scale(ys, scale);
            }
        });
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
        var partials = new T[shape.OuterCount * perRun];
        ForRange(partials.Length, work, (first, last) =>
        {
            var xs = Span(x);
            for (int p = first; p < last; p++)
            {
                int o = p / perRun, start = p % perRun * pieceLength;
                int count = Math.Min(pieceLength, length - start);
                partials[p] = count > 0
                    ? SimdSpans.Reduce<T, TOp>(xs.Slice(shape.Outer.OffsetOf(o) + start, count))
                    : op.Identity;
            }
        });
        var ys = Span(y);
        for (int o = 0; o < shape.OuterCount; o++)
        {
            T acc = op.Identity;
            for (int piece = 0; piece < perRun; piece++)
            {
                acc = op.Combine(acc, partials[o * perRun + piece]);
            }
            ys[o] = acc * scale;
        }
    }

    /// <summary>A row of <paramref name="length"/> elements at <paramref name="start"/>, or its one value when the
    /// stride is 0 (a broadcast operand).</summary>
    private static Span<T> Run<T>(Span<T> values, int start, int length, int stride) =>
        values.Slice(start, stride == 0 ? 1 : length);

    /// <summary>A span over CPU-accelerator memory (host memory); valid on the CPU device only.</summary>
    public static Span<T> Span<T>(ArrayView<T> view) where T : unmanaged =>
        view.Length == 0 ? [] : MemoryMarshal.Cast<byte, T>(MemoryMarshal.CreateSpan(ref view.LoadEffectiveAddress(),
            checked((int)view.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>())));

    /// <summary><see cref="ForRange"/> over the rows of a shape whose innermost dimension is <paramref name="inner"/>
    /// long.</summary>
    private static void ForRows(int size, int inner, long work, Action<int, int> body) =>
        ForRange(size > 0 ? size / inner : 0, work, body); // an empty shape may have inner = 0

    /// <summary>The work <see cref="ForRange"/> weighs for <paramref name="elements"/> handled by vectorised loops.</summary>
    public static long VectorWork(long elements) => elements / VectorisedCostDivisor;

    private static bool WorthSplitting(long work) => work >= ParallelMinElements;

    /// <summary>
    /// Runs <paramref name="body"/> over [0, count) in one piece, or in one contiguous piece per core when
    /// <paramref name="work"/> (elements touched, vectorised ones weighed by <see cref="VectorWork"/>) is large
    /// enough to pay for the threads. Nothing runs, and no launch is counted, when count is 0.
    /// </summary>
    public static void ForRange(int count, long work, Action<int, int> body)
    {
        if (count <= 0)
        {
            return;
        }
        // Every host loop (element-wise, strided, reduction, matmul) comes through here once: it stands in for a
        // kernel launch, so it counts as one.
        Device.Cpu.CountLaunch();
        int chunks = WorthSplitting(work) ? Math.Min(Environment.ProcessorCount, count) : 1;
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
/// The contiguous loops that .NET vectorises, through <see cref="TensorPrimitives"/>: add, subtract, multiply, divide,
/// negate and copy bit for bit what the scalar loop computes (exactly rounded IEEE operations); exp and log within
/// about an ulp of it. The type tests are constants for the JIT: each instantiation keeps one branch.
/// </summary>
internal static partial class SimdSpans
{
    public static bool CanMap<T, TOp>() where T : unmanaged =>
        typeof(TOp) == typeof(CopyOp<T>) || typeof(TOp) == typeof(IdentityOp) ||
        ((typeof(TOp) == typeof(NegOp) || typeof(TOp) == typeof(ExpOp) || typeof(TOp) == typeof(LogOp)) &&
         (typeof(T) == typeof(float) || typeof(T) == typeof(double)));

    public static bool CanZip<T, TOp>() where T : unmanaged =>
        (typeof(T) == typeof(float) || typeof(T) == typeof(double)) &&
        (typeof(TOp) == typeof(AddOp) || typeof(TOp) == typeof(SubOp) || typeof(TOp) == typeof(MulOp) ||
         typeof(TOp) == typeof(DivOp));

    public static bool Map<T, TOp>(Span<T> x, Span<T> y) where T : unmanaged
    {
        if (typeof(TOp) == typeof(CopyOp<T>) || typeof(TOp) == typeof(IdentityOp))
        {
            x.CopyTo(y);
            return true;
        }
        if (typeof(T) == typeof(float))
        {
            return MapNumbers<float, TOp>(As<T, float>(x), As<T, float>(y));
        }
        if (typeof(T) == typeof(double))
        {
            return MapNumbers<double, TOp>(As<T, double>(x), As<T, double>(y));
        }
        return false;
    }

    private static bool MapNumbers<TNumber, TOp>(ReadOnlySpan<TNumber> x, Span<TNumber> y)
        where TNumber : unmanaged, IFloatingPointIeee754<TNumber>
    {
        if (typeof(TOp) == typeof(NegOp))
        {
            TensorPrimitives.Negate(x, y);
        }
        else if (typeof(TOp) == typeof(ExpOp))
        {
            TensorPrimitives.Exp(x, y); // within an ulp or so of MathF.Exp / Math.Exp, not bit-identical
        }
        else if (typeof(TOp) == typeof(LogOp))
        {
            TensorPrimitives.Log(x, y);
        }
        else
        {
            return false;
        }
        return true;
    }

    public static bool Zip<T, TOp>(Span<T> a, Span<T> b, Span<T> c) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            return ZipNumbers<float, TOp>(As<T, float>(a), As<T, float>(b), As<T, float>(c));
        }
        if (typeof(T) == typeof(double))
        {
            return ZipNumbers<double, TOp>(As<T, double>(a), As<T, double>(b), As<T, double>(c));
        }
        return false;
    }

    private static bool ZipNumbers<TNumber, TOp>(ReadOnlySpan<TNumber> a, ReadOnlySpan<TNumber> b, Span<TNumber> c)
        where TNumber : unmanaged, IFloatingPointIeee754<TNumber>
    {
        if (typeof(TOp) == typeof(AddOp))
        {
            TensorPrimitives.Add(a, b, c);
        }
        else if (typeof(TOp) == typeof(SubOp))
        {
            TensorPrimitives.Subtract(a, b, c);
        }
        else if (typeof(TOp) == typeof(MulOp))
        {
            TensorPrimitives.Multiply(a, b, c);
        }
        else if (typeof(TOp) == typeof(DivOp))
        {
            TensorPrimitives.Divide(a, b, c);
        }
        else
        {
            return false;
        }
        return true;
    }

    /// <summary>
    /// c = op(a, b) over one row where a and b each hold either the row (same length as c) or one value broadcast
    /// along it, not both broadcast (that row is one value: the caller fills it). Only for the ops
    /// <see cref="CanZip{T, TOp}"/> accepts.
    /// </summary>
    public static void ZipRow<T, TOp>(Span<T> a, Span<T> b, Span<T> c) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            ZipRowNumbers<float, TOp>(As<T, float>(a), As<T, float>(b), As<T, float>(c));
        }
        else if (typeof(T) == typeof(double))
        {
            ZipRowNumbers<double, TOp>(As<T, double>(a), As<T, double>(b), As<T, double>(c));
        }
        else
        {
            throw Unsupported<T>();
        }
    }

    private static void ZipRowNumbers<TNumber, TOp>(ReadOnlySpan<TNumber> a, ReadOnlySpan<TNumber> b,
        Span<TNumber> c)
        where TNumber : unmanaged, IFloatingPointIeee754<TNumber>
    {
        bool aOne = a.Length == 1 && c.Length > 1, bOne = b.Length == 1 && c.Length > 1;
        if (aOne && bOne)
        {
            // The broadcast-scalar calls below would write only c[0].
            throw new ArgumentException("ZipRow: both operands are broadcast; fill the row with the one value instead");
        }
        if (!aOne && !bOne)
        {
            ZipNumbers<TNumber, TOp>(a, b, c);
        }
        else if (typeof(TOp) == typeof(AddOp))
        {
            TensorPrimitives.Add(aOne ? b : a, aOne ? a[0] : b[0], c);
        }
        else if (typeof(TOp) == typeof(MulOp))
        {
            TensorPrimitives.Multiply(aOne ? b : a, aOne ? a[0] : b[0], c);
        }
        else if (typeof(TOp) == typeof(SubOp))
        {
            if (aOne)
            {
                TensorPrimitives.Subtract(a[0], b, c);
            }
            else
            {
                TensorPrimitives.Subtract(a, b[0], c);
            }
        }
        else if (aOne)
        {
            TensorPrimitives.Divide(a[0], b, c);
        }
        else
        {
            TensorPrimitives.Divide(a, b[0], c);
        }
    }

    public static bool CanReduce<T, TOp>() where T : unmanaged =>
        (typeof(T) == typeof(float) || typeof(T) == typeof(double)) &&
        (typeof(TOp) == typeof(SumReduce) || typeof(TOp) == typeof(MaxReduce) || typeof(TOp) == typeof(MinReduce));

    /// <summary>
    /// Σ, max or min of a non-empty run (only for what <see cref="CanReduce{T, TOp}"/> accepts). The sum adds in
    /// vector lanes, so its rounding differs from a left-to-right loop's (its error is no larger); max and min
    /// propagate NaN as the kernels do.
    /// </summary>
    public static T Reduce<T, TOp>(Span<T> x) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            return ScalarAs<float, T>(ReduceNumbers<float, TOp>(As<T, float>(x)));
        }
        if (typeof(T) == typeof(double))
        {
            return ScalarAs<double, T>(ReduceNumbers<double, TOp>(As<T, double>(x)));
        }
        throw Unsupported<T>();
    }

    private static TNumber ReduceNumbers<TNumber, TOp>(ReadOnlySpan<TNumber> x)
        where TNumber : unmanaged, IFloatingPointIeee754<TNumber> =>
        typeof(TOp) == typeof(SumReduce) ? TensorPrimitives.Sum(x) :
        typeof(TOp) == typeof(MaxReduce) ? TensorPrimitives.Max(x) : TensorPrimitives.Min(x);

    /// <summary>acc = op(acc, x) element-wise (sum, max or min; NaN propagates).</summary>
    public static void Accumulate<T, TOp>(Span<T> acc, Span<T> x) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            AccumulateNumbers<float, TOp>(As<T, float>(acc), As<T, float>(x));
        }
        else if (typeof(T) == typeof(double))
        {
            AccumulateNumbers<double, TOp>(As<T, double>(acc), As<T, double>(x));
        }
        else
        {
            throw Unsupported<T>();
        }
    }

    private static void AccumulateNumbers<TNumber, TOp>(Span<TNumber> acc, ReadOnlySpan<TNumber> x)
        where TNumber : unmanaged, IFloatingPointIeee754<TNumber>
    {
        if (typeof(TOp) == typeof(SumReduce))
        {
            TensorPrimitives.Add(acc, x, acc);
        }
        else if (typeof(TOp) == typeof(MaxReduce))
        {
            TensorPrimitives.Max(acc, x, acc);
        }
        else
        {
            TensorPrimitives.Min(acc, x, acc);
        }
    }

    /// <summary>Whether T has the vectorised exp of <see cref="MaxAndSumExp{T}"/> and <see cref="ShiftedExp{T}"/>.</summary>
    public static bool CanExp<T>() where T : unmanaged => typeof(T) == typeof(float) || typeof(T) == typeof(double);

    /// <summary>
    /// m = max x (NaN propagates) and Σ e^(x − m) of a non-empty row, float or double, with the exponentials written
    /// to <paramref name="scratch"/> (x's length; it may be x itself). The differences round as the scalar loop's;
    /// exp is within about an ulp of it, and the sum adds in vector lanes (see <see cref="Reduce{T, TOp}"/>).
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
