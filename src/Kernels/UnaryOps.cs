using System.Numerics;

namespace MicrogradPlus.Kernels;

/// <summary>
/// A function applied element-wise: the kernels call its scalar form, the host executor's span drivers its vector
/// form where the operator has one (<see cref="IVectorized"/>) and the scalar form otherwise. Every operator
/// implements it for both float and double, so one operator serves float32 tensors and float64 gradient checks.
/// </summary>
internal interface IUnaryOp<T> where T : unmanaged
{
    /// <summary>The function's value at <paramref name="x"/>.</summary>
    T Apply(T x);

    /// <summary>
    /// The function on every lane of <paramref name="x"/>: the same math as <see cref="Apply(T)"/> on
    /// <see cref="Vector{T}"/> lanes. Written by operators marked <see cref="IVectorized"/>; drivers call it only for
    /// those.
    /// </summary>
    Vector<T> Apply(Vector<T> x) => throw VectorForm.Missing(GetType());
}

/// <summary>Marks an operator that writes its vector form (the lanes of <see cref="Vector{T}"/>).</summary>
internal interface IVectorized;

/// <summary>What the vector forms share.</summary>
internal static class VectorForm
{
    /// <summary>Whether <typeparamref name="TOp"/> writes its vector form: a constant for the JIT per operator.</summary>
    public static bool Has<TOp>() where TOp : struct => default(TOp) is IVectorized;

    /// <summary>The error a driver gets for calling the vector form of an operator that has none.</summary>
    public static NotSupportedException Missing(Type op) =>
        new($"{op.Name} has no vector form; check VectorForm.Has first and run its scalar form");

    /// <summary>
    /// σ(x) = 1/(1 + e⁻ˣ) on lanes: e⁻ˣ overflows to ∞ only where σ rounds to 0 anyway, so no branch on the sign is
    /// needed (the scalar <see cref="DeviceMath.Sigmoid(float)"/> branches to keep e/(1+e) for its last ulp).
    /// </summary>
    public static Vector<float> Sigmoid(Vector<float> x) => Vector<float>.One / (Vector<float>.One + VectorExp.Exp(-x));

    /// <summary>σ(x) on double lanes.</summary>
    public static Vector<double> Sigmoid(Vector<double> x) =>
        Vector<double>.One / (Vector<double>.One + VectorExp.Exp(-x));

    /// <summary>x where x &gt; 0, else <paramref name="otherwise"/>: relu's and leaky relu's select.</summary>
    public static Vector<T> WherePositive<T>(Vector<T> x, Vector<T> value, Vector<T> otherwise) where T : unmanaged =>
        Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<T>.Zero), value, otherwise);
}

#pragma warning disable CS1591 // the summary states each operator's math; the two Apply overloads are that math
/// <summary>x</summary>
internal struct IdentityOp : IUnaryOp<float>, IUnaryOp<double>, IVectorized
{
    public readonly float Apply(float x) => x;
    public readonly double Apply(double x) => x;
    public readonly Vector<float> Apply(Vector<float> x) => x;
    public readonly Vector<double> Apply(Vector<double> x) => x;
}

/// <summary>−x</summary>
internal struct NegOp : IUnaryOp<float>, IUnaryOp<double>, IVectorized
{
    public readonly float Apply(float x) => -x;
    public readonly double Apply(double x) => -x;
    public readonly Vector<float> Apply(Vector<float> x) => -x;
    public readonly Vector<double> Apply(Vector<double> x) => -x;
}

/// <summary>eˣ</summary>
internal struct ExpOp : IUnaryOp<float>, IUnaryOp<double>, IVectorized
{
    public readonly float Apply(float x) => MathF.Exp(x);
    public readonly double Apply(double x) => Math.Exp(x);
    public readonly Vector<float> Apply(Vector<float> x) => VectorExp.Exp(x);
    public readonly Vector<double> Apply(Vector<double> x) => VectorExp.Exp(x);
}

/// <summary>ln x</summary>
internal struct LogOp : IUnaryOp<float>, IUnaryOp<double>, IVectorized
{
    public readonly float Apply(float x) => MathF.Log(x);
    public readonly double Apply(double x) => Math.Log(x);
    public readonly Vector<float> Apply(Vector<float> x) => Vector.Log(x);
    public readonly Vector<double> Apply(Vector<double> x) => Vector.Log(x);
}

/// <summary>√x</summary>
internal struct SqrtOp : IUnaryOp<float>, IUnaryOp<double>, IVectorized
{
    public readonly float Apply(float x) => MathF.Sqrt(x);
    public readonly double Apply(double x) => Math.Sqrt(x);
    public readonly Vector<float> Apply(Vector<float> x) => Vector.SquareRoot(x);
    public readonly Vector<double> Apply(Vector<double> x) => Vector.SquareRoot(x);
}

/// <summary>|x|</summary>
internal struct AbsOp : IUnaryOp<float>, IUnaryOp<double>, IVectorized
{
    public readonly float Apply(float x) => Math.Abs(x);
    public readonly double Apply(double x) => Math.Abs(x);
    public readonly Vector<float> Apply(Vector<float> x) => Vector.Abs(x);
    public readonly Vector<double> Apply(Vector<double> x) => Vector.Abs(x);
}

/// <summary>1/(1+e⁻ˣ)</summary>
internal struct SigmoidOp : IUnaryOp<float>, IUnaryOp<double>, IVectorized
{
    public readonly float Apply(float x) => DeviceMath.Sigmoid(x);
    public readonly double Apply(double x) => DeviceMath.Sigmoid(x);
    public readonly Vector<float> Apply(Vector<float> x) => VectorForm.Sigmoid(x);
    public readonly Vector<double> Apply(Vector<double> x) => VectorForm.Sigmoid(x);
}

/// <summary>tanh x</summary>
internal struct TanhOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => DeviceMath.Tanh(x);
    public readonly double Apply(double x) => DeviceMath.Tanh(x);
}

/// <summary>max(x, 0); NaN passes through, as in PyTorch (the NaN test comes first: see DeviceMath.Max)</summary>
internal struct ReluOp : IUnaryOp<float>, IUnaryOp<double>, IVectorized
{
    public readonly float Apply(float x) => float.IsNaN(x) || x > 0f ? x : 0f;
    public readonly double Apply(double x) => double.IsNaN(x) || x > 0d ? x : 0d;
    // NaN is not ≤ 0, so it passes through as in the scalar form.
    public readonly Vector<float> Apply(Vector<float> x) =>
        Vector.ConditionalSelect(Vector.LessThanOrEqual(x, Vector<float>.Zero), Vector<float>.Zero, x);
    public readonly Vector<double> Apply(Vector<double> x) =>
        Vector.ConditionalSelect(Vector.LessThanOrEqual(x, Vector<double>.Zero), Vector<double>.Zero, x);
}

/// <summary>x·Φ(x)</summary>
internal struct GeluOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => DeviceMath.Gelu(x);
    public readonly double Apply(double x) => DeviceMath.Gelu(x);
}

/// <summary>sign(x): 1, −1, or 0 for ±0 and NaN, as torch.sign</summary>
internal struct SignOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => x > 0f ? 1f : x < 0f ? -1f : 0f;
    public readonly double Apply(double x) => x > 0d ? 1d : x < 0d ? -1d : 0d;
}

/// <summary>1/x</summary>
internal struct ReciprocalOp : IUnaryOp<float>, IUnaryOp<double>, IVectorized
{
    public readonly float Apply(float x) => 1f / x;
    public readonly double Apply(double x) => 1d / x;
    public readonly Vector<float> Apply(Vector<float> x) => Vector<float>.One / x;
    public readonly Vector<double> Apply(Vector<double> x) => Vector<double>.One / x;
}

/// <summary>x²</summary>
internal struct SquareOp : IUnaryOp<float>, IUnaryOp<double>, IVectorized
{
    public readonly float Apply(float x) => x * x;
    public readonly double Apply(double x) => x * x;
    public readonly Vector<float> Apply(Vector<float> x) => x * x;
    public readonly Vector<double> Apply(Vector<double> x) => x * x;
}

/// <summary>gelu'(x) = Φ(x) + x·φ(x)</summary>
internal struct GeluGradOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => DeviceMath.GeluGrad(x);
    public readonly double Apply(double x) => DeviceMath.GeluGrad(x);
}

/// <summary>x if x &gt; 0, else α·x</summary>
internal struct LeakyReluOp(double alpha) : IUnaryOp<float>, IUnaryOp<double>, IVectorized
{
    public double Alpha = alpha;
    public readonly float Apply(float x) => x > 0f ? x : (float)Alpha * x;
    public readonly double Apply(double x) => x > 0d ? x : Alpha * x;
    public readonly Vector<float> Apply(Vector<float> x) =>
        VectorForm.WherePositive(x, x, x * new Vector<float>((float)Alpha));
    public readonly Vector<double> Apply(Vector<double> x) =>
        VectorForm.WherePositive(x, x, x * new Vector<double>(Alpha));
}

/// <summary>leaky_relu'(x): 1 where x &gt; 0, else α</summary>
internal struct LeakyReluMaskOp(double alpha) : IUnaryOp<float>, IUnaryOp<double>, IVectorized
{
    public double Alpha = alpha;
    public readonly float Apply(float x) => x > 0f ? 1f : (float)Alpha;
    public readonly double Apply(double x) => x > 0d ? 1d : Alpha;
    public readonly Vector<float> Apply(Vector<float> x) =>
        VectorForm.WherePositive(x, Vector<float>.One, new Vector<float>((float)Alpha));
    public readonly Vector<double> Apply(Vector<double> x) =>
        VectorForm.WherePositive(x, Vector<double>.One, new Vector<double>(Alpha));
}

/// <summary>
/// xᵖ for a scalar exponent p; p = ±½ are √x and 1/√x, as torch.pow's scalar form (so (−∞)^½ is NaN there)
/// </summary>
internal struct PowScalarOp(double exponent) : IUnaryOp<float>, IUnaryOp<double>
{
    public double Exponent = exponent;
    public readonly float Apply(float x) =>
        Exponent == 0.5d ? MathF.Sqrt(x) : Exponent == -0.5d ? 1f / MathF.Sqrt(x) : DeviceMath.Pow(x, (float)Exponent);
    public readonly double Apply(double x) =>
        Exponent == 0.5d ? Math.Sqrt(x) : Exponent == -0.5d ? 1d / Math.Sqrt(x) : DeviceMath.Pow(x, Exponent);
}

/// <summary>x + c</summary>
internal struct AddScalarOp(double value) : IUnaryOp<float>, IUnaryOp<double>, IVectorized
{
    public double Value = value;
    public readonly float Apply(float x) => x + (float)Value;
    public readonly double Apply(double x) => x + Value;
    public readonly Vector<float> Apply(Vector<float> x) => x + new Vector<float>((float)Value);
    public readonly Vector<double> Apply(Vector<double> x) => x + new Vector<double>(Value);
}

/// <summary>x · c</summary>
internal struct MulScalarOp(double value) : IUnaryOp<float>, IUnaryOp<double>, IVectorized
{
    public double Value = value;
    public readonly float Apply(float x) => x * (float)Value;
    public readonly double Apply(double x) => x * Value;
    public readonly Vector<float> Apply(Vector<float> x) => x * new Vector<float>((float)Value);
    public readonly Vector<double> Apply(Vector<double> x) => x * new Vector<double>(Value);
}

/// <summary>c / x (a scalar divided by a tensor)</summary>
internal struct ScalarDivOp(double value) : IUnaryOp<float>, IUnaryOp<double>, IVectorized
{
    public double Value = value;
    public readonly float Apply(float x) => (float)Value / x;
    public readonly double Apply(double x) => Value / x;
    public readonly Vector<float> Apply(Vector<float> x) => new Vector<float>((float)Value) / x;
    public readonly Vector<double> Apply(Vector<double> x) => new Vector<double>(Value) / x;
}

/// <summary>cˣ (a scalar raised to a tensor)</summary>
internal struct ScalarPowOp(double value) : IUnaryOp<float>, IUnaryOp<double>
{
    public double Value = value;
    public readonly float Apply(float x) => DeviceMath.Pow((float)Value, x);
    public readonly double Apply(double x) => DeviceMath.Pow(Value, x);
}

/// <summary>x where finite, 0 where ±∞ (NaN stays NaN): the shift of a stable logsumexp</summary>
internal struct FiniteOrZeroOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => Math.Abs(x) == float.PositiveInfinity ? 0f : x;
    public readonly double Apply(double x) => Math.Abs(x) == double.PositiveInfinity ? 0d : x;
}

/// <summary>x·σ(x)</summary>
internal struct SiluOp : IUnaryOp<float>, IUnaryOp<double>, IVectorized
{
    public readonly float Apply(float x) => x * DeviceMath.Sigmoid(x);
    public readonly double Apply(double x) => x * DeviceMath.Sigmoid(x);
    public readonly Vector<float> Apply(Vector<float> x) => x * VectorForm.Sigmoid(x);
    public readonly Vector<double> Apply(Vector<double> x) => x * VectorForm.Sigmoid(x);
}

#pragma warning restore CS1591

/// <summary>The identity for any element type: lets copies of int or other buffers use the contiguous map path.</summary>
internal struct CopyOp<T> : IUnaryOp<T>
    where T : unmanaged
{
    /// <inheritdoc/>
    public readonly T Apply(T x) => x;
}

/// <summary>x · factor for any number type: a scale in the element type itself (means, mixed-in factors).</summary>
internal readonly struct ScaleOp<T>(T factor) : IUnaryOp<T>, IVectorized
    where T : unmanaged, System.Numerics.INumber<T>
{
    private readonly T _factor = factor;

    /// <inheritdoc/>
    public T Apply(T x) => x * _factor;

    /// <inheritdoc/>
    public Vector<T> Apply(Vector<T> x) => x * new Vector<T>(_factor);
}
