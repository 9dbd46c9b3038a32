using System.Numerics;
using System.Runtime.CompilerServices;

namespace MicrogradPlus.Backends.Gemm;

/// <summary>
/// The register micro-kernel: a <see cref="Rows"/> × (2 vectors) tile of C from one packed sliver of A
/// ([k][6], see <see cref="GemmPacking"/>) and one packed panel of B ([k][2 vectors]). Per k it loads two vectors of
/// B, broadcasts six elements of A and issues twelve multiply-adds into twelve accumulators that stay in registers
/// for the whole depth (AVX2 has 16 vector registers: 12 accumulators, 2 of B, 1 broadcast). This is the loop where
/// a GEMM spends its time; everything else (packing, blocking, threads) is there to keep its operands in L1 and L2.
/// </summary>
internal static class GemmMicroKernel
{
    /// <summary>Rows of the tile (MR in BLIS's terms).</summary>
    public const int Rows = 6;

    /// <summary>
    /// C[0..6, 0..2w] = A·B + bias (<paramref name="first"/>) or C += A·B (a later block of K). <paramref name="a"/>
    /// and <paramref name="b"/> are the packed sliver and panel, <paramref name="depth"/> their length along K,
    /// <paramref name="bias"/> two vectors (zeros without a bias), <paramref name="ldc"/> C's row length.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile<T, TVector, TLanes>(int depth, ref T a, ref T b, ref T c, nint ldc, ref T bias,
        bool first)
        where T : unmanaged, INumber<T>
        where TVector : struct
        where TLanes : struct, IGemmLanes<T, TVector>
    {
        nuint w = (nuint)TLanes.Count;
        TVector c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        TVector c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int k = 0; k < depth; k++)
        {
            TVector low = TLanes.Load(ref b, 0), high = TLanes.Load(ref b, w);
            TVector x = TLanes.Broadcast(a);
            c00 = TLanes.MultiplyAdd(x, low, c00);
            c01 = TLanes.MultiplyAdd(x, high, c01);
            x = TLanes.Broadcast(Unsafe.Add(ref a, 1));
            c10 = TLanes.MultiplyAdd(x, low, c10);
            c11 = TLanes.MultiplyAdd(x, high, c11);
            x = TLanes.Broadcast(Unsafe.Add(ref a, 2));
            c20 = TLanes.MultiplyAdd(x, low, c20);
            c21 = TLanes.MultiplyAdd(x, high, c21);
            x = TLanes.Broadcast(Unsafe.Add(ref a, 3));
            c30 = TLanes.MultiplyAdd(x, low, c30);
            c31 = TLanes.MultiplyAdd(x, high, c31);
            x = TLanes.Broadcast(Unsafe.Add(ref a, 4));
            c40 = TLanes.MultiplyAdd(x, low, c40);
            c41 = TLanes.MultiplyAdd(x, high, c41);
            x = TLanes.Broadcast(Unsafe.Add(ref a, 5));
            c50 = TLanes.MultiplyAdd(x, low, c50);
            c51 = TLanes.MultiplyAdd(x, high, c51);
            a = ref Unsafe.Add(ref a, Rows);
            b = ref Unsafe.Add(ref b, 2 * (nint)w);
        }
        StoreRow<T, TVector, TLanes>(c00, c01, ref c, ref bias, first);
        StoreRow<T, TVector, TLanes>(c10, c11, ref Unsafe.Add(ref c, ldc), ref bias, first);
        StoreRow<T, TVector, TLanes>(c20, c21, ref Unsafe.Add(ref c, 2 * ldc), ref bias, first);
        StoreRow<T, TVector, TLanes>(c30, c31, ref Unsafe.Add(ref c, 3 * ldc), ref bias, first);
        StoreRow<T, TVector, TLanes>(c40, c41, ref Unsafe.Add(ref c, 4 * ldc), ref bias, first);
        StoreRow<T, TVector, TLanes>(c50, c51, ref Unsafe.Add(ref c, 5 * ldc), ref bias, first);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<T, TVector, TLanes>(TVector low, TVector high, ref T c, ref T bias, bool first)
        where T : unmanaged, INumber<T>
        where TVector : struct
        where TLanes : struct, IGemmLanes<T, TVector>
    {
        // The first block of K adds the bias to the sums; later blocks add them to what C holds.
        nuint w = (nuint)TLanes.Count;
        ref T addend = ref first ? ref bias : ref c;
        TLanes.Store(TLanes.Add(low, TLanes.Load(ref addend, 0)), ref c, 0);
        TLanes.Store(TLanes.Add(high, TLanes.Load(ref addend, w)), ref c, w);
    }
}
