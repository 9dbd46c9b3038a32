using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MicrogradPlus.Backends.Gemm;

/// <summary>
/// The vector operations the GEMM micro-kernel needs, over one register width. The kernel is generic over a struct
/// implementing this, so the JIT compiles one copy per width with every call inlined: <see cref="Lanes512{T}"/>
/// where the CPU has AVX-512, <see cref="Lanes256{T}"/> with AVX2, <see cref="Lanes128{T}"/> otherwise (SSE, NEON).
/// </summary>
internal interface IGemmLanes<T, TVector>
    where T : unmanaged, INumber<T>
    where TVector : struct
{
    /// <summary>Elements in one vector.</summary>
    static abstract int Count { get; }

    /// <summary>The vector at <paramref name="source"/> + <paramref name="offset"/> elements.</summary>
    static abstract TVector Load(ref T source, nuint offset);

    /// <summary>Writes <paramref name="value"/> at <paramref name="target"/> + <paramref name="offset"/>.</summary>
    static abstract void Store(TVector value, ref T target, nuint offset);

    /// <summary>Every lane set to <paramref name="value"/>.</summary>
    static abstract TVector Broadcast(T value);

    /// <summary>a·b + c, fused into one rounding where the CPU has FMA.</summary>
    static abstract TVector MultiplyAdd(TVector a, TVector b, TVector c);

    /// <summary>a + b.</summary>
    static abstract TVector Add(TVector a, TVector b);
}

/// <summary>256-bit lanes (AVX2 + FMA): 8 floats or 4 doubles.</summary>
internal readonly struct Lanes256<T> : IGemmLanes<T, Vector256<T>> where T : unmanaged, INumber<T>
{
    public static int Count => Vector256<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Load(ref T source, nuint offset) => Vector256.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<T> value, ref T target, nuint offset) => value.StoreUnsafe(ref target, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Broadcast(T value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MultiplyAdd(Vector256<T> a, Vector256<T> b, Vector256<T> c)
    {
        if (typeof(T) == typeof(float))
        {
            return Vector256.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        }
        if (typeof(T) == typeof(double))
        {
            return Vector256.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        }
        return a * b + c;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Add(Vector256<T> a, Vector256<T> b) => a + b;
}

/// <summary>512-bit lanes (AVX-512F): 16 floats or 8 doubles.</summary>
internal readonly struct Lanes512<T> : IGemmLanes<T, Vector512<T>> where T : unmanaged, INumber<T>
{
    public static int Count => Vector512<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Load(ref T source, nuint offset) => Vector512.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<T> value, ref T target, nuint offset) => value.StoreUnsafe(ref target, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Broadcast(T value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MultiplyAdd(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        if (typeof(T) == typeof(float))
        {
            return Vector512.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        }
        if (typeof(T) == typeof(double))
        {
            return Vector512.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        }
        return a * b + c;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Add(Vector512<T> a, Vector512<T> b) => a + b;
}

/// <summary>128-bit lanes (SSE, Arm NEON): 4 floats or 2 doubles.</summary>
internal readonly struct Lanes128<T> : IGemmLanes<T, Vector128<T>> where T : unmanaged, INumber<T>
{
    public static int Count => Vector128<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Load(ref T source, nuint offset) => Vector128.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<T> value, ref T target, nuint offset) => value.StoreUnsafe(ref target, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Broadcast(T value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> MultiplyAdd(Vector128<T> a, Vector128<T> b, Vector128<T> c)
    {
        if (typeof(T) == typeof(float))
        {
            return Vector128.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        }
        if (typeof(T) == typeof(double))
        {
            return Vector128.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        }
        return a * b + c;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Add(Vector128<T> a, Vector128<T> b) => a + b;
}
