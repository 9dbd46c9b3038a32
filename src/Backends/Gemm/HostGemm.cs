using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ILGPU;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends.Gemm;

/// <summary>
/// The CPU device's matrix product, in the manner of BLIS and OpenBLAS: C = A·B (+ bias) for float and double over any
/// strides of A and B, per batch. Loops, outermost first: columns of C in blocks of Nc; depth in blocks of Kc (pack a
/// Kc × Nc block of B into panels); rows in blocks of Mc (pack an Mc × Kc block of A into slivers); panels; slivers —
/// and in the middle the register micro-kernel (<see cref="GemmMicroKernel"/>) on the widest vectors the CPU has
/// (<see cref="Lanes512{T}"/>, <see cref="Lanes256{T}"/>, <see cref="Lanes128{T}"/>). The bias joins C when the first
/// block of K is stored; later blocks add to C.
/// Threads: the product is cut into as many parts as there are cores (and batches), along N where C is wide enough
/// (each part packs its own panels of B and the whole of A, which costs 1/N of its work) and along M otherwise; parts
/// start at whole panels or slivers, so no two cores write one cache line of C but at a part's edge.
/// </summary>
internal static class HostGemm
{
    /// <summary>Which register width the micro-kernel runs on here: 512, 256 or 128 bits.</summary>
    public static int VectorBits => Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 128;

    /// <summary>C = A·B (+ bias) as <paramref name="s"/> describes; C is contiguous [batch, M, N].</summary>
    public static void Run<T>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, ArrayView<T> bias, in MatMulShape s,
        int vectorBits = 0)
        where T : unmanaged, INumber<T>
    {
        switch (vectorBits == 0 ? VectorBits : vectorBits)
        {
            case 512:
                Run<T, Vector512<T>, Lanes512<T>>(a, b, c, bias, s);
                break;
            case 256:
                Run<T, Vector256<T>, Lanes256<T>>(a, b, c, bias, s);
                break;
            default:
                Run<T, Vector128<T>, Lanes128<T>>(a, b, c, bias, s);
                break;
        }
    }

    private static void Run<T, TVector, TLanes>(ArrayView<T> aView, ArrayView<T> bView, ArrayView<T> cView,
        ArrayView<T> biasView, MatMulShape s)
        where T : unmanaged, INumber<T>
        where TVector : struct
        where TLanes : struct, IGemmLanes<T, TVector>
    {
        if (s.Batch == 0 || s.M == 0 || s.N == 0)
        {
            return;
        }
        int width = 2 * TLanes.Count;
        int panels = (s.N + width - 1) / width;
        // The bias, padded to whole panels (zeros without a bias): the kernel adds it as it stores the first block.
        var bias = ArrayPool<T>.Shared.Rent(panels * width);
        try
        {
            for (int n = 0; n < panels * width; n++)
            {
                bias[n] = n < s.N ? s.BiasAt(biasView, n) : T.Zero;
            }
            var blocking = GemmBlocking.For(Unsafe.SizeOf<T>(), width);
            long multiplyAdds = (long)s.Batch * s.M * s.N * s.K;
            int cores = HostPolicy.WorthSplitting(HostPolicy.VectorWork(multiplyAdds)) ? Environment.ProcessorCount : 1;
            // Parts per batch: along N while each part keeps at least two panels, else along M in whole slivers.
            int perBatch = s.Batch >= cores ? 1 : (cores + s.Batch - 1) / s.Batch;
            bool alongN = panels >= 2 * perBatch;
            int slivers = (s.M + GemmMicroKernel.Rows - 1) / GemmMicroKernel.Rows;
            perBatch = Math.Max(1, Math.Min(perBatch, alongN ? panels : slivers));
            var part = new Part<T>(aView, bView, cView, bias, s, blocking, width, panels, slivers, perBatch, alongN);
            int parts = s.Batch * perBatch;
            if (parts == 1)
            {
                part.Run<TVector, TLanes>(0);
            }
            else
            {
                Parallel.For(0, parts, i => part.Run<TVector, TLanes>(i));
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(bias);
        }
    }

    /// <summary>One core's share: a batch and a range of panels (along N) or slivers (along M).</summary>
    private sealed class Part<T>(ArrayView<T> aView, ArrayView<T> bView, ArrayView<T> cView, T[] bias,
        MatMulShape s, GemmBlocking blocking, int width, int panels, int slivers, int perBatch, bool alongN)
        where T : unmanaged, INumber<T>
    {
        public void Run<TVector, TLanes>(int index)
            where TVector : struct
            where TLanes : struct, IGemmLanes<T, TVector>
        {
            const int mr = GemmMicroKernel.Rows;
            int batch = index / perBatch, piece = index % perBatch;
            int units = alongN ? panels : slivers;
            int first = (int)((long)units * piece / perBatch), last = (int)((long)units * (piece + 1) / perBatch);
            int n0 = alongN ? first * width : 0, n1 = alongN ? Math.Min(s.N, last * width) : s.N;
            int m0 = alongN ? 0 : first * mr, m1 = alongN ? s.M : Math.Min(s.M, last * mr);
            var a = HostLoops.Span(aView);
            var b = HostLoops.Span(bView);
            var c = HostLoops.Span(cView);
            int aStart = s.BatchA.OffsetOf(batch), bStart = s.BatchB.OffsetOf(batch);
            int cStart = batch * s.M * s.N;
            if (s.K == 0)
            {
                for (int m = m0; m < m1; m++)
                {
                    bias.AsSpan(n0, n1 - n0).CopyTo(c.Slice(cStart + m * s.N + n0, n1 - n0));
                }
                return;
            }
            // Depth blocks of equal length (784 = 4 × 196, not 3 × 256 + 16).
            int kBlocks = (s.K + blocking.Kc - 1) / blocking.Kc;
            int kc = (s.K + kBlocks - 1) / kBlocks;
            int mc = Math.Min(blocking.Mc, (m1 - m0 + mr - 1) / mr * mr);
            int nc = Math.Min(blocking.Nc, (n1 - n0 + width - 1) / width * width);
            var packedA = ArrayPool<T>.Shared.Rent(mc * kc);
            var packedB = ArrayPool<T>.Shared.Rent(nc * kc);
            try
            {
                for (int jc = n0; jc < n1; jc += nc)
                {
                    int cols = Math.Min(nc, n1 - jc);
                    for (int pc = 0; pc < s.K; pc += kc)
                    {
                        int depth = Math.Min(kc, s.K - pc);
                        GemmPacking.PackB<T>(b, bStart, s.BRowStride, s.BColStride, jc, cols, pc, depth, width,
                            packedB);
                        for (int ic = m0; ic < m1; ic += mc)
                        {
                            int rows = Math.Min(mc, m1 - ic);
                            GemmPacking.PackA<T>(a, aStart, s.ARowStride, s.AColStride, ic, rows, pc, depth, packedA);
                            Block<TVector, TLanes>(c, cStart, ic, rows, jc, cols, depth, pc == 0, packedA, packedB);
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(packedA);
                ArrayPool<T>.Shared.Return(packedB);
            }
        }

        /// <summary>The packed block of A times the packed block of B into C, tile by tile.</summary>
        private void Block<TVector, TLanes>(Span<T> c, int cStart, int ic, int rows, int jc, int cols, int depth,
            bool first, T[] packedA, T[] packedB)
            where TVector : struct
            where TLanes : struct, IGemmLanes<T, TVector>
        {
            const int mr = GemmMicroKernel.Rows;
            Span<T> edge = stackalloc T[mr * 32];
            Span<T> zeros = stackalloc T[32];
            zeros.Clear();
            ref T aBase = ref MemoryMarshal.GetArrayDataReference(packedA);
            ref T bBase = ref MemoryMarshal.GetArrayDataReference(packedB);
            for (int j = 0; j < cols; j += width)
            {
                int validCols = Math.Min(width, cols - j);
                ref T panel = ref Unsafe.Add(ref bBase, j * depth);
                ref T biasPanel = ref bias[jc + j];
                for (int i = 0; i < rows; i += mr)
                {
                    int validRows = Math.Min(mr, rows - i);
                    ref T sliver = ref Unsafe.Add(ref aBase, i * depth);
                    int at = cStart + (ic + i) * s.N + jc + j;
                    if (validRows == mr && validCols == width)
                    {
                        GemmMicroKernel.Tile<T, TVector, TLanes>(depth, ref sliver, ref panel, ref c[at], s.N,
                            ref biasPanel, first);
                        continue;
                    }
                    // An edge tile: computed whole into a scratch tile, then its valid part stored.
                    GemmMicroKernel.Tile<T, TVector, TLanes>(depth, ref sliver, ref panel, ref edge[0], width,
                        ref first ? ref biasPanel : ref zeros[0], true);
                    for (int r = 0; r < validRows; r++)
                    {
                        var source = edge.Slice(r * width, validCols);
                        var target = c.Slice(at + r * s.N, validCols);
                        if (first)
                        {
                            source.CopyTo(target);
                        }
                        else
                        {
                            for (int n = 0; n < validCols; n++)
                            {
                                target[n] += source[n];
                            }
                        }
                    }
                }
            }
        }
    }
}
