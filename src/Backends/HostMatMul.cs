using System.Numerics;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

/// <summary>
/// The CPU device's managed matrix product. Products of float or double with at least <see cref="BlockRows"/> rows
/// take the packed, cache-blocked GEMM (<see cref="Gemm.HostGemm"/>: a register micro-kernel on the widest vectors
/// the CPU has). Fewer rows (one sample) take one of two row orders over spans of the accelerator's (host) memory:
/// row-axpy (C[m,:] += A[m,k]·B[k,:]) when B's rows are contiguous, row-dot (C[m,n] = A[m,:]·B[:,n]) when A's rows and
/// B's columns are (x·Wᵀ with W row-major). A bias is added to each finished row, as the kernels add it when they
/// store. The GEMM fuses each multiply-add into one rounding (FMA, where the CPU has it); the row paths multiply and
/// add separately, so a product rounds slightly differently with fewer than six rows.
/// </summary>
internal static class HostMatMul
{
    public static void Run<T>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, ArrayView<T> bias, MatMulShape s)
        where T : unmanaged, INumber<T>
    {
        if (Vector.IsHardwareAccelerated && (typeof(T) == typeof(float) || typeof(T) == typeof(double)) &&
            s.M >= BlockRows)
        {
            Gemm.HostGemm.Run(a, b, c, bias, s);
            return;
        }
        int rows = s.Batch * s.M;
        HostLoops.ForRange(rows, (long)rows * s.N * s.K, (first, last) =>
        {
            for (int row = first; row < last; row++)
            {
                Row(a, b, c, s, row);
                if (s.HasBias != 0)
                {
                    AddBias(bias, HostLoops.Span(c).Slice(row * s.N, s.N), s.BiasOffset, s.BiasStride);
                }
            }
        });
    }

    /// <summary>From this many rows on, a product takes the packed, cache-blocked GEMM (<see cref="Gemm.HostGemm"/>).</summary>
    private const int BlockRows = Gemm.GemmMicroKernel.Rows;

    private static void Row<T>(ArrayView<T> aView, ArrayView<T> bView, ArrayView<T> cView, MatMulShape s, int row)
        where T : unmanaged, INumber<T>
    {
        var a = HostLoops.Span(aView);
        var b = HostLoops.Span(bView);
        var c = HostLoops.Span(cView).Slice(row * s.N, s.N);
        int batch = row / s.M, m = row % s.M;
        int aRow = s.BatchA.OffsetOf(batch) + m * s.ARowStride;
        int bBase = s.BatchB.OffsetOf(batch);
        c.Clear();
        if (s.BColStride == 1)
        {
            for (int k = 0; k < s.K; k++)
            {
                AddScaled(a[aRow + k * s.AColStride], b.Slice(bBase + k * s.BRowStride, s.N), c);
            }
        }
        else if (s.BRowStride == 1 && s.AColStride == 1)
        {
            var aSpan = a.Slice(aRow, s.K);
            for (int n = 0; n < s.N; n++)
            {
                c[n] = Dot(aSpan, b.Slice(bBase + n * s.BColStride, s.K));
            }
        }
        else
        {
            for (int n = 0; n < s.N; n++)
            {
                T acc = T.Zero;
                for (int k = 0; k < s.K; k++)
                {
                    acc += a[aRow + k * s.AColStride] * b[bBase + k * s.BRowStride + n * s.BColStride];
                }
                c[n] = acc;
            }
        }
    }

    private static void AddBias<T>(ArrayView<T> biasView, Span<T> row, int offset, int stride)
        where T : unmanaged, INumber<T>
    {
        var bias = HostLoops.Span(biasView);
        int n = 0;
        if (stride == 1 && Vector.IsHardwareAccelerated)
        {
            var rows = MemoryMarshal.Cast<T, Vector<T>>(row);
            var biases = MemoryMarshal.Cast<T, Vector<T>>(bias.Slice(offset, row.Length));
            for (int v = 0; v < rows.Length; v++)
            {
                rows[v] += biases[v];
            }
            n = rows.Length * Vector<T>.Count;
        }
        for (; n < row.Length; n++)
        {
            row[n] += bias[offset + n * stride];
        }
    }

    /// <summary>y += scale · x (an axpy).</summary>
    private static void AddScaled<T>(T scale, ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<T>.Count)
        {
            var factor = new Vector<T>(scale);
            var xs = MemoryMarshal.Cast<T, Vector<T>>(x);
            var ys = MemoryMarshal.Cast<T, Vector<T>>(y);
            for (int v = 0; v < xs.Length; v++)
            {
                ys[v] += factor * xs[v];
            }
            i = xs.Length * Vector<T>.Count;
        }
        for (; i < x.Length; i++)
        {
            y[i] += scale * x[i];
        }
    }

    private static T Dot<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y) where T : unmanaged, INumber<T>
    {
        int i = 0;
        T sum = T.Zero;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<T>.Count)
        {
            var acc = Vector<T>.Zero;
            var xs = MemoryMarshal.Cast<T, Vector<T>>(x);
            var ys = MemoryMarshal.Cast<T, Vector<T>>(y);
            for (int v = 0; v < xs.Length; v++)
            {
                acc += xs[v] * ys[v];
            }
            sum = Vector.Sum(acc);
            i = xs.Length * Vector<T>.Count;
        }
        for (; i < x.Length; i++)
        {
            sum += x[i] * y[i];
        }
        return sum;
    }

}
