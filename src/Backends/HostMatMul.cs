using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

/// <summary>
/// The CPU device's matrix product: the naive kernel's arithmetic run as a host loop over spans of the accelerator's
/// (host) memory. Reading through <c>ArrayView</c> on the host costs ~5 ns an element, which made a digits MLP step
/// take 35 ms; reordered loops over spans with <see cref="Vector{T}"/> multiply-adds take well under 1 ms.
/// Products of float or double with at least <see cref="BlockRows"/> rows take the register-blocked path
/// (<see cref="RunBlocked{T}"/>): several times the speed of row loops on large matrices, and on a small MLP's
/// matrices (K or N of 1 to 16) it saves the thousands of tiny vector calls the row loops make (a 2-16-16-2 Adam step
/// with cross-entropy, batch 64: 80–85 → 61–62 µs; a 64-64-10 one, batch 128, unchanged at about 470 µs). Fewer rows
/// (one sample) take one of two row orders: row-axpy (C[m,:] += A[m,k]·B[k,:]) when B's rows are contiguous, row-dot
/// (C[m,n] = A[m,:]·B[:,n]) when A's rows and B's columns are (x·Wᵀ with W row-major).
/// A bias is added to each finished row, as the kernels add it when they store.
/// The blocked path may fuse each multiply-add into one rounding (FMA, where the CPU has it); the row paths multiply
/// and add separately, so a product rounds slightly differently with fewer than six rows.
/// </summary>
internal static class HostMatMul
{
    public static void Run<T>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, ArrayView<T> bias, MatMulShape s)
        where T : unmanaged, INumber<T>
    {
        if (Vector.IsHardwareAccelerated && (typeof(T) == typeof(float) || typeof(T) == typeof(double)) &&
            s.M >= BlockRows)
        {
            RunBlocked(a, b, c, bias, s);
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

    /// <summary>Rows of C one register block holds; its width is two vectors (16 floats with 256-bit vectors).</summary>
    private const int BlockRows = 6;

    /// <summary>
    /// C = A·B as BLAS-style register blocks. B is first copied, per batch, into panels two vectors wide and K deep
    /// (any layout, padded with zeros past N), so the inner loop reads it contiguously. Each 6-row block of A then
    /// runs across every panel: per k, two vector loads of B, six broadcasts of A and twelve multiply-adds into
    /// twelve accumulators that stay in registers for the whole of K — where the row loops load and store C for every
    /// k. Blocks of rows are split across cores.
    /// </summary>
    private static void RunBlocked<T>(ArrayView<T> aView, ArrayView<T> bView, ArrayView<T> cView,
        ArrayView<T> biasView, MatMulShape s)
        where T : unmanaged, INumber<T>
    {
        int panelWidth = 2 * Vector<T>.Count;
        int panels = (s.N + panelWidth - 1) / panelWidth;
        int panelSize = s.K * panelWidth;
        int biasStart = s.Batch * panels * panelSize;
        bool hasBias = s.HasBias != 0;
        var packed = ArrayPool<T>.Shared.Rent(biasStart + (hasBias ? panels * panelWidth : 0));
        try
        {
            Pack(HostLoops.Span(bView), biasView, s, packed, panelWidth, panels);
            int rowBlocks = (s.M + BlockRows - 1) / BlockRows;
            long multiplyAdds = (long)s.Batch * s.M * s.N * s.K;
            HostLoops.ForRange(s.Batch * rowBlocks, HostPolicy.VectorWork(multiplyAdds), (first, last) =>
            {
                var a = HostLoops.Span(aView);
                var c = HostLoops.Span(cView);
                for (int block = first; block < last; block++)
                {
                    int batch = block / rowBlocks, m0 = block % rowBlocks * BlockRows;
                    int rows = Math.Min(BlockRows, s.M - m0);
                    int aRow = s.BatchA.OffsetOf(batch) + m0 * s.ARowStride;
                    for (int p = 0; p < panels; p++)
                    {
                        ReadOnlySpan<T> panel = packed.AsSpan((batch * panels + p) * panelSize, panelSize);
                        int col = p * panelWidth, count = Math.Min(panelWidth, s.N - col);
                        int cStart = (batch * s.M + m0) * s.N + col;
                        var bias = hasBias ? packed.AsSpan(biasStart + col, panelWidth) : default;
                        var tile = new Tile<T>(c, cStart, s.N, count, hasBias, bias);
                        if (rows == BlockRows)
                        {
                            SixRows(a, aRow, s.ARowStride, s.AColStride, panel, s.K, tile);
                        }
                        else
                        {
                            for (int r = 0; r < rows; r++)
                            {
                                OneRow(a, aRow + r * s.ARowStride, s.AColStride, panel, s.K, tile, r);
                            }
                        }
                    }
                }
            });
        }
        finally
        {
            ArrayPool<T>.Shared.Return(packed);
        }
    }

    /// <summary>Copies B into [batch][panel][k][panelWidth], zeros past N, and the bias, if any, after it.</summary>
    private static void Pack<T>(ReadOnlySpan<T> b, ArrayView<T> biasView, in MatMulShape s, T[] packed,
        int panelWidth, int panels)
        where T : unmanaged, INumber<T>
    {
        int at = 0;
        for (int batch = 0; batch < s.Batch; batch++)
        {
            int bBase = s.BatchB.OffsetOf(batch);
            for (int p = 0; p < panels; p++)
            {
                int col = p * panelWidth, count = Math.Min(panelWidth, s.N - col);
                for (int k = 0; k < s.K; k++, at += panelWidth)
                {
                    var row = packed.AsSpan(at, panelWidth);
                    int from = bBase + k * s.BRowStride + col * s.BColStride;
                    if (s.BColStride == 1)
                    {
                        b.Slice(from, count).CopyTo(row);
                    }
                    else
                    {
                        for (int j = 0; j < count; j++)
                        {
                            row[j] = b[from + j * s.BColStride];
                        }
                    }
                    row[count..].Clear();
                }
            }
        }
        if (s.HasBias == 0)
        {
            return;
        }
        for (int n = 0; n < panels * panelWidth; n++)
        {
            packed[at + n] = n < s.N ? s.BiasAt(biasView, n) : T.Zero;
        }
    }

    /// <summary>Where a register block lands in C: its first element, C's row length, the valid columns, the bias.</summary>
    private readonly ref struct Tile<T>(Span<T> c, int start, int rowLength, int count, bool hasBias,
        ReadOnlySpan<T> bias)
        where T : unmanaged, INumber<T>
    {
        private readonly Span<T> _c = c;
        private readonly ReadOnlySpan<T> _bias = bias;
        private readonly int _start = start, _rowLength = rowLength, _count = count;
        private readonly bool _hasBias = hasBias;

        /// <summary>Writes row <paramref name="r"/> of the block (two vectors), plus the bias, leaving out columns past N.</summary>
        public void Store(int r, Vector<T> low, Vector<T> high)
        {
            int width = Vector<T>.Count;
            if (_hasBias)
            {
                low += new Vector<T>(_bias);
                high += new Vector<T>(_bias[width..]);
            }
            var target = _c.Slice(_start + r * _rowLength);
            if (_count == 2 * width)
            {
                low.CopyTo(target);
                high.CopyTo(target[width..]);
                return;
            }
            Span<T> both = stackalloc T[2 * width];
            low.CopyTo(both);
            high.CopyTo(both[width..]);
            both[.._count].CopyTo(target);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> MultiplyAdd<T>(Vector<T> a, Vector<T> b, Vector<T> c) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float))
        {
            return Vector.MultiplyAddEstimate(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();
        }
        if (typeof(T) == typeof(double))
        {
            return Vector.MultiplyAddEstimate(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
        }
        return a * b + c;
    }

    /// <summary>Six rows of A times one panel of B: a 6 × (2 vectors) block of C in twelve accumulators.</summary>
    private static void SixRows<T>(ReadOnlySpan<T> a, int aRow, int rowStride, int colStride, ReadOnlySpan<T> panel,
        int depth, in Tile<T> tile)
        where T : unmanaged, INumber<T>
    {
        var b = MemoryMarshal.Cast<T, Vector<T>>(panel);
        Vector<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        int r0 = aRow, r1 = r0 + rowStride, r2 = r1 + rowStride, r3 = r2 + rowStride, r4 = r3 + rowStride;
        int r5 = r4 + rowStride;
        for (int k = 0, ak = 0; k < depth; k++, ak += colStride)
        {
            var low = b[2 * k];
            var high = b[2 * k + 1];
            var x = new Vector<T>(a[r0 + ak]);
            c00 = MultiplyAdd(x, low, c00);
            c01 = MultiplyAdd(x, high, c01);
            x = new Vector<T>(a[r1 + ak]);
            c10 = MultiplyAdd(x, low, c10);
            c11 = MultiplyAdd(x, high, c11);
            x = new Vector<T>(a[r2 + ak]);
            c20 = MultiplyAdd(x, low, c20);
            c21 = MultiplyAdd(x, high, c21);
            x = new Vector<T>(a[r3 + ak]);
            c30 = MultiplyAdd(x, low, c30);
            c31 = MultiplyAdd(x, high, c31);
            x = new Vector<T>(a[r4 + ak]);
            c40 = MultiplyAdd(x, low, c40);
            c41 = MultiplyAdd(x, high, c41);
            x = new Vector<T>(a[r5 + ak]);
            c50 = MultiplyAdd(x, low, c50);
            c51 = MultiplyAdd(x, high, c51);
        }
        tile.Store(0, c00, c01);
        tile.Store(1, c10, c11);
        tile.Store(2, c20, c21);
        tile.Store(3, c30, c31);
        tile.Store(4, c40, c41);
        tile.Store(5, c50, c51);
    }

    /// <summary>One row of A times one panel: the rows left over when M is no multiple of six.</summary>
    private static void OneRow<T>(ReadOnlySpan<T> a, int aRow, int colStride, ReadOnlySpan<T> panel, int depth,
        in Tile<T> tile, int r)
        where T : unmanaged, INumber<T>
    {
        var b = MemoryMarshal.Cast<T, Vector<T>>(panel);
        Vector<T> low = default, high = default;
        for (int k = 0, ak = aRow; k < depth; k++, ak += colStride)
        {
            var x = new Vector<T>(a[ak]);
            low = MultiplyAdd(x, b[2 * k], low);
            high = MultiplyAdd(x, b[2 * k + 1], high);
        }
        tile.Store(r, low, high);
    }

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
