using System.Numerics;

namespace MicrogradPlus.Kernels;

/// <summary>
/// The functions fused math needs beyond + − × ÷ (which a lane type brings as operators), on a "lane": one scalar
/// (float or double: what kernels run, <see cref="ScalarMath"/>) or the lanes of a <see cref="Vector{T}"/> (what the
/// CPU device's loops run, <see cref="VectorMath{T}"/>). Math written once over a lane type — <c>SgdSlot.Step</c>,
/// <see cref="SoftmaxMath{TLane, T, TMath}"/>, <see cref="CrossEntropyMath{TLane, T, TMath}"/> — serves both: each
/// lane rounds as the scalar does, so only exp and log may differ, by about an ulp.
/// </summary>
/// <typeparam name="TLane">The lane type.</typeparam>
/// <typeparam name="T">Its element type.</typeparam>
internal interface ILaneMath<TLane, T>
{
    /// <summary>Every lane <paramref name="value"/>.</summary>
    TLane Of(T value);

    /// <summary>eˣ</summary>
    TLane Exp(TLane x);

    /// <summary>ln x</summary>
    TLane Log(TLane x);

    /// <summary>√x</summary>
    TLane Sqrt(TLane x);

    /// <summary>max(a, b), NaN-propagating.</summary>
    TLane Max(TLane a, TLane b);

    /// <summary>The lowest finite value in every lane: where a running maximum starts (−∞ would make (−∞) − (−∞)).
    /// </summary>
    TLane Lowest();

    /// <summary><paramref name="then"/> in the lanes where <paramref name="x"/> &gt; 0, else
    /// <paramref name="otherwise"/> (NaN: otherwise).</summary>
    TLane IfPositive(TLane x, TLane then, TLane otherwise);

    /// <summary>
    /// 1 in the lane that stands for position <paramref name="index"/>, 0 in the others, when the lanes stand for
    /// positions <paramref name="first"/>, first + 1, …: a one-hot vector's piece.
    /// </summary>
    TLane OneAt(int first, int index);
}

/// <summary>
/// The lane math of the fused losses' kernels, with the conversion of a class index stored as a floating-point value.
/// (ILGPU does not compile generic math's static conversions, so it comes from a struct like the other functions.)
/// </summary>
internal interface ILossMath<T> : ILaneMath<T, T>
{
    /// <summary>A class index stored as a floating-point value, as an int.</summary>
    int ToIndex(T x);
}

/// <summary>Scalar lanes for float and double: what the kernels compute, through the functions they compile.</summary>
internal struct ScalarMath : ILossMath<float>, ILossMath<double>
{
#pragma warning disable CS1591
    public readonly float Of(float value) => value;
    public readonly double Of(double value) => value;
    public readonly float Exp(float x) => MathF.Exp(x);
    public readonly double Exp(double x) => Math.Exp(x);
    public readonly float Log(float x) => MathF.Log(x);
    public readonly double Log(double x) => Math.Log(x);
    public readonly float Sqrt(float x) => MathF.Sqrt(x);
    public readonly double Sqrt(double x) => Math.Sqrt(x);
    public readonly float Max(float a, float b) => DeviceMath.Max(a, b);
    public readonly double Max(double a, double b) => DeviceMath.Max(a, b);
    readonly float ILaneMath<float, float>.Lowest() => float.MinValue;
    readonly double ILaneMath<double, double>.Lowest() => double.MinValue;
    public readonly float IfPositive(float x, float then, float otherwise) => x > 0f ? then : otherwise;
    public readonly double IfPositive(double x, double then, double otherwise) => x > 0d ? then : otherwise;
    readonly float ILaneMath<float, float>.OneAt(int first, int index) => first == index ? 1f : 0f;
    readonly double ILaneMath<double, double>.OneAt(int first, int index) => first == index ? 1d : 0d;
    public readonly int ToIndex(float x) => (int)x;
    public readonly int ToIndex(double x) => (int)x;
#pragma warning restore CS1591
}

/// <summary>
/// The lanes of a <see cref="Vector{T}"/> with the operators lane-generic math calls through its constraints
/// (Vector&lt;T&gt; has the operators but does not declare their generic-math interfaces). Host code only; a span of
/// T reads as a span of these (<c>MemoryMarshal.Cast</c>), one vector each.
/// </summary>
internal readonly struct Lanes<T>(Vector<T> value) :
    IAdditionOperators<Lanes<T>, Lanes<T>, Lanes<T>>, ISubtractionOperators<Lanes<T>, Lanes<T>, Lanes<T>>,
    IMultiplyOperators<Lanes<T>, Lanes<T>, Lanes<T>>, IDivisionOperators<Lanes<T>, Lanes<T>, Lanes<T>>
{
    /// <summary>The lanes.</summary>
    public readonly Vector<T> Value = value;

    /// <summary>Every lane <paramref name="value"/>.</summary>
    public Lanes(T value) : this(new Vector<T>(value))
    {
    }

    /// <summary>The lanes' sum.</summary>
    public T Sum() => Vector.Sum(Value);

    /// <summary>Lane <paramref name="index"/>.</summary>
    public T this[int index] => Value[index];

#pragma warning disable CS1591
    public static Lanes<T> operator +(Lanes<T> a, Lanes<T> b) => new(a.Value + b.Value);
    public static Lanes<T> operator -(Lanes<T> a, Lanes<T> b) => new(a.Value - b.Value);
    public static Lanes<T> operator *(Lanes<T> a, Lanes<T> b) => new(a.Value * b.Value);
    public static Lanes<T> operator /(Lanes<T> a, Lanes<T> b) => new(a.Value / b.Value);
#pragma warning restore CS1591
}

/// <summary>
/// <see cref="Lanes{T}"/> math (host code only) for float and double: exp is <see cref="VectorExp"/>, log is .NET's
/// vector function, the rest round exactly as the scalars. The type tests are constants for the JIT.
/// </summary>
internal readonly struct VectorMath<T> : ILaneMath<Lanes<T>, T> where T : unmanaged, INumber<T>
{
    /// <summary>Whether T has vector lanes here (float and double) and the hardware runs them as vectors.</summary>
    public static bool Supported =>
        Vector.IsHardwareAccelerated && (typeof(T) == typeof(float) || typeof(T) == typeof(double));

    /// <inheritdoc/>
    public Lanes<T> Of(T value) => new(value);

    /// <inheritdoc/>
    public Lanes<T> Exp(Lanes<T> x) => new(
        typeof(T) == typeof(float) ? VectorExp.Exp(x.Value.As<T, float>()).As<float, T>() :
        typeof(T) == typeof(double) ? VectorExp.Exp(x.Value.As<T, double>()).As<double, T>() :
        throw Unsupported());

    /// <inheritdoc/>
    public Lanes<T> Log(Lanes<T> x) => new(
        typeof(T) == typeof(float) ? Vector.Log(x.Value.As<T, float>()).As<float, T>() :
        typeof(T) == typeof(double) ? Vector.Log(x.Value.As<T, double>()).As<double, T>() :
        throw Unsupported());

    /// <inheritdoc/>
    public Lanes<T> Sqrt(Lanes<T> x) => new(Vector.SquareRoot(x.Value));

    /// <inheritdoc/>
    public Lanes<T> Max(Lanes<T> a, Lanes<T> b) => new(Vector.Max(a.Value, b.Value)); // IEEE maximum: NaN propagates

    /// <inheritdoc/>
    public Lanes<T> Lowest() => new(
        typeof(T) == typeof(float) ? T.CreateTruncating(float.MinValue) :
        typeof(T) == typeof(double) ? T.CreateTruncating(double.MinValue) :
        throw Unsupported());

    /// <inheritdoc/>
    public Lanes<T> IfPositive(Lanes<T> x, Lanes<T> then, Lanes<T> otherwise) =>
        new(Vector.ConditionalSelect(Vector.GreaterThan(x.Value, Vector<T>.Zero), then.Value, otherwise.Value));

    /// <inheritdoc/>
    public Lanes<T> OneAt(int first, int index) => new((uint)(index - first) < (uint)Vector<T>.Count
        ? Vector.ConditionalSelect(Vector.Equals(Vector<T>.Indices, new Vector<T>(T.CreateTruncating(index - first))),
            Vector<T>.One, Vector<T>.Zero)
        : Vector<T>.Zero);

    private static NotSupportedException Unsupported() =>
        new($"VectorMath: no vector exp or log for {typeof(T).Name}; check VectorMath<T>.Supported first");
}
