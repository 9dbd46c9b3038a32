using System.Numerics;
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

    /// <summary>
    /// y = op(x) over contiguous views, split across cores: a 4M-element add takes ~2 ms this way against ~20 ms
    /// through ILGPU's CPU accelerator, whose per-element index bookkeeping dominates.
    /// </summary>
    public static void Map<T, TOp>(ArrayView<T> x, ArrayView<T> y, TOp op)
        where T : unmanaged
        where TOp : struct, IUnaryOp<T>
    {
        ForRange((int)y.Length, y.Length, (first, last) =>
        {
            var xs = Span(x)[first..last];
            var ys = Span(y)[first..last];
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
        ForRange((int)c.Length, c.Length, (first, last) =>
        {
            var xs = Span(a)[first..last];
            var ys = Span(b)[first..last];
            var zs = Span(c)[first..last];
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
