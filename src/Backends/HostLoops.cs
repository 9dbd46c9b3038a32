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
internal static class HostLoops
{
    private const long ParallelMinElements = 1 << 16;

    // A vectorised element costs about a quarter of a scalar one, so it takes four times as many to pay for the threads
    // (on a 2-core VM a 64K-element add took 42 µs split across cores, 8 µs vectorised on one).
    private const int VectorisedCostDivisor = 4;

    /// <summary>
    /// y = op(x) over contiguous views, split across cores: a 4M-element add takes ~2 ms this way against ~20 ms
    /// through ILGPU's CPU accelerator, whose per-element index bookkeeping dominates.
    /// </summary>
    public static void Map<T, TOp>(ArrayView<T> x, ArrayView<T> y, TOp op)
        where T : unmanaged
        where TOp : struct, IUnaryOp<T>
    {
        long work = SimdSpans.CanMap<T, TOp>() ? y.Length / VectorisedCostDivisor : y.Length;
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
        long work = SimdSpans.CanZip<T, TOp>() ? c.Length / VectorisedCostDivisor : c.Length;
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
        ForRows(size, inner, (first, last) =>
        {
            var xs = Span(x);
            var ys = Span(y);
            for (int row = first; row < last; row++)
            {
                int xi = xLayout.OffsetOf(row * inner), yi = row * inner;
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
        ForRows(size, inner, (first, last) =>
        {
            var xs = Span(a);
            var ys = Span(b);
            var zs = Span(c);
            for (int row = first; row < last; row++)
            {
                int ai = aLayout.OffsetOf(row * inner), bi = bLayout.OffsetOf(row * inner), ci = row * inner;
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
        if (size <= 0)
        {
            return;
        }
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
        ForRows(size, inner, (first, last) =>
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

    /// <summary>y[yLayout(i)] = x[xLayout(i)] for two views of one shape.</summary>
    public static void Copy<T>(ArrayView<T> x, Layout xLayout, ArrayView<T> y, Layout yLayout, int size)
        where T : unmanaged
    {
        int inner = xLayout.D5;
        ForRows(size, inner, (first, last) =>
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

    /// <summary>One output per row of the reduced block, as <see cref="ReduceRowsBody{T, TOp}"/>.</summary>
    public static void Reduce<T, TOp>(ArrayView<T> x, ArrayView<T> y, ReduceShape shape, T scale, TOp op)
        where T : unmanaged, INumber<T>
        where TOp : struct, IReduceOp<T>
    {
        int inner = shape.Inner.D5;
        long work = (long)shape.OuterCount * shape.InnerCount;
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
                    for (int j = 0; j < inner; j++, xi += shape.Inner.S5)
                    {
                        acc = op.Combine(acc, xs[xi]);
                    }
                }
                ys[o] = acc * scale;
            }
        });
    }

    /// <summary>A span over CPU-accelerator memory (host memory); valid on the CPU device only.</summary>
    public static Span<T> Span<T>(ArrayView<T> view) where T : unmanaged =>
        view.Length == 0 ? [] : MemoryMarshal.Cast<byte, T>(MemoryMarshal.CreateSpan(ref view.LoadEffectiveAddress(),
            checked((int)view.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>())));

    private static void ForRows(int size, int inner, Action<int, int> work)
    {
        if (size <= 0)
        {
            return;
        }
        ForRange(size / inner, size, work);
    }

    /// <summary>
    /// Runs <paramref name="body"/> over [0, count) in one piece, or in one contiguous piece per core when
    /// <paramref name="work"/> (elements touched) is large enough to pay for the threads.
    /// </summary>
    public static void ForRange(int count, long work, Action<int, int> body)
    {
        // Every host loop (element-wise, strided, reduction, matmul) comes through here once: it stands in for a
        // kernel launch, so it counts as one.
        Device.Cpu.CountLaunch();
        int chunks = work < ParallelMinElements ? 1 : Math.Min(Environment.ProcessorCount, count);
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
internal static class SimdSpans
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

    private static Span<TTo> As<TFrom, TTo>(Span<TFrom> span) where TFrom : unmanaged where TTo : unmanaged =>
        MemoryMarshal.Cast<TFrom, TTo>(span);
}
