namespace MicrogradPlus.Kernels;

/// <summary>A function applied element-wise by <see cref="MapBody{T, TOp}"/>. Every operator implements it for both
/// float and double, so one operator serves float32 tensors and float64 gradient checks.</summary>
public interface IUnaryOp<T>
{
    /// <summary>The function's value at <paramref name="x"/>.</summary>
    T Apply(T x);
}

#pragma warning disable CS1591 // the summary states each operator's math; the two Apply overloads are that math
/// <summary>x</summary>
public struct IdentityOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => x;
    public readonly double Apply(double x) => x;
}

/// <summary>−x</summary>
public struct NegOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => -x;
    public readonly double Apply(double x) => -x;
}

/// <summary>eˣ</summary>
public struct ExpOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => MathF.Exp(x);
    public readonly double Apply(double x) => Math.Exp(x);
}

/// <summary>ln x</summary>
public struct LogOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => MathF.Log(x);
    public readonly double Apply(double x) => Math.Log(x);
}

/// <summary>√x</summary>
public struct SqrtOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => MathF.Sqrt(x);
    public readonly double Apply(double x) => Math.Sqrt(x);
}

/// <summary>|x|</summary>
public struct AbsOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => Math.Abs(x);
    public readonly double Apply(double x) => Math.Abs(x);
}

/// <summary>1/(1+e⁻ˣ)</summary>
public struct SigmoidOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => DeviceMath.Sigmoid(x);
    public readonly double Apply(double x) => DeviceMath.Sigmoid(x);
}

/// <summary>tanh x</summary>
public struct TanhOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => DeviceMath.Tanh(x);
    public readonly double Apply(double x) => DeviceMath.Tanh(x);
}

/// <summary>max(x, 0); NaN passes through, as in PyTorch (the NaN test comes first: see DeviceMath.Max)</summary>
public struct ReluOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => float.IsNaN(x) || x > 0f ? x : 0f;
    public readonly double Apply(double x) => double.IsNaN(x) || x > 0d ? x : 0d;
}

/// <summary>x·Φ(x)</summary>
public struct GeluOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => DeviceMath.Gelu(x);
    public readonly double Apply(double x) => DeviceMath.Gelu(x);
}

/// <summary>sign(x); 0 and NaN pass through</summary>
public struct SignOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => x > 0f ? 1f : x < 0f ? -1f : x;
    public readonly double Apply(double x) => x > 0d ? 1d : x < 0d ? -1d : x;
}

/// <summary>1/x</summary>
public struct ReciprocalOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => 1f / x;
    public readonly double Apply(double x) => 1d / x;
}

/// <summary>x²</summary>
public struct SquareOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => x * x;
    public readonly double Apply(double x) => x * x;
}

/// <summary>gelu'(x) = Φ(x) + x·φ(x)</summary>
public struct GeluGradOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => DeviceMath.GeluGrad(x);
    public readonly double Apply(double x) => DeviceMath.GeluGrad(x);
}

/// <summary>x if x &gt; 0, else α·x</summary>
public struct LeakyReluOp(double alpha) : IUnaryOp<float>, IUnaryOp<double>
{
    public double Alpha = alpha;
    public readonly float Apply(float x) => x > 0f ? x : (float)Alpha * x;
    public readonly double Apply(double x) => x > 0d ? x : Alpha * x;
}

/// <summary>leaky_relu'(x): 1 where x &gt; 0, else α</summary>
public struct LeakyReluMaskOp(double alpha) : IUnaryOp<float>, IUnaryOp<double>
{
    public double Alpha = alpha;
    public readonly float Apply(float x) => x > 0f ? 1f : (float)Alpha;
    public readonly double Apply(double x) => x > 0d ? 1d : Alpha;
}

/// <summary>xᵖ for a scalar exponent p</summary>
public struct PowScalarOp(double exponent) : IUnaryOp<float>, IUnaryOp<double>
{
    public double Exponent = exponent;
    public readonly float Apply(float x) => DeviceMath.Pow(x, (float)Exponent);
    public readonly double Apply(double x) => DeviceMath.Pow(x, Exponent);
}

/// <summary>x + c</summary>
public struct AddScalarOp(double value) : IUnaryOp<float>, IUnaryOp<double>
{
    public double Value = value;
    public readonly float Apply(float x) => x + (float)Value;
    public readonly double Apply(double x) => x + Value;
}

/// <summary>x · c</summary>
public struct MulScalarOp(double value) : IUnaryOp<float>, IUnaryOp<double>
{
    public double Value = value;
    public readonly float Apply(float x) => x * (float)Value;
    public readonly double Apply(double x) => x * Value;
}

/// <summary>c / x (a scalar divided by a tensor)</summary>
public struct ScalarDivOp(double value) : IUnaryOp<float>, IUnaryOp<double>
{
    public double Value = value;
    public readonly float Apply(float x) => (float)Value / x;
    public readonly double Apply(double x) => Value / x;
}

/// <summary>cˣ (a scalar raised to a tensor)</summary>
public struct ScalarPowOp(double value) : IUnaryOp<float>, IUnaryOp<double>
{
    public double Value = value;
    public readonly float Apply(float x) => DeviceMath.Pow((float)Value, x);
    public readonly double Apply(double x) => DeviceMath.Pow(Value, x);
}

/// <summary>x where finite, 0 where ±∞ (NaN stays NaN): the shift of a stable logsumexp</summary>
public struct FiniteOrZeroOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => Math.Abs(x) == float.PositiveInfinity ? 0f : x;
    public readonly double Apply(double x) => Math.Abs(x) == double.PositiveInfinity ? 0d : x;
}

/// <summary>x·σ(x)</summary>
public struct SiluOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => x * DeviceMath.Sigmoid(x);
    public readonly double Apply(double x) => x * DeviceMath.Sigmoid(x);
}

#pragma warning restore CS1591

/// <summary>The identity for any element type: lets copies of int or other buffers use the contiguous map path.</summary>
public struct CopyOp<T> : IUnaryOp<T>
{
    /// <inheritdoc/>
    public readonly T Apply(T x) => x;
}
