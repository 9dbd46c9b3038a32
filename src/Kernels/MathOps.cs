using System.Numerics;

namespace MicrogradPlus.Kernels;

// Element-wise math beyond exp/log/sqrt: each operator's summary states its function; scalar forms for the kernels,
// vector forms (IVectorized) where System.Numerics.Vector has the same operation.
#pragma warning disable CS1591 // the summary states each operator's math; the Apply overloads are that math

/// <summary>1/√x</summary>
internal struct RsqrtOp : IUnaryOp<float>, IUnaryOp<double>, IVectorized
{
    public readonly float Apply(float x) => 1f / MathF.Sqrt(x);
    public readonly double Apply(double x) => 1d / Math.Sqrt(x);
    public readonly Vector<float> Apply(Vector<float> x) => Vector<float>.One / Vector.SquareRoot(x);
    public readonly Vector<double> Apply(Vector<double> x) => Vector<double>.One / Vector.SquareRoot(x);
}

/// <summary>sin x</summary>
internal struct SinOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => MathF.Sin(x);
    public readonly double Apply(double x) => Math.Sin(x);
}

/// <summary>cos x</summary>
internal struct CosOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => MathF.Cos(x);
    public readonly double Apply(double x) => Math.Cos(x);
}

/// <summary>log₂ x = ln x / ln 2 (ILGPU's OpenCL backend emits no compilable log2)</summary>
internal struct Log2Op : IUnaryOp<float>, IUnaryOp<double>, IVectorized
{
    public readonly float Apply(float x) => MathF.Log(x) * 1.44269504088896341f;
    public readonly double Apply(double x) => Math.Log(x) * 1.4426950408889634;
    public readonly Vector<float> Apply(Vector<float> x) => Vector.Log2(x);
    public readonly Vector<double> Apply(Vector<double> x) => Vector.Log2(x);
}

/// <summary>2ˣ (exact for integer x: the pow's repeated squaring)</summary>
internal struct Exp2Op : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => DeviceMath.Pow(2f, x);
    public readonly double Apply(double x) => DeviceMath.Pow(2d, x);
}

/// <summary>ln(1 + x)</summary>
internal struct Log1pOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => DeviceMath.Log1p(x);
    public readonly double Apply(double x) => DeviceMath.Log1p(x);
}

/// <summary>eˣ − 1</summary>
internal struct Expm1Op : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => DeviceMath.Expm1(x);
    public readonly double Apply(double x) => DeviceMath.Expm1(x);
}

/// <summary>⌊x⌋</summary>
internal struct FloorOp : IUnaryOp<float>, IUnaryOp<double>, IVectorized
{
    public readonly float Apply(float x) => MathF.Floor(x);
    public readonly double Apply(double x) => Math.Floor(x);
    public readonly Vector<float> Apply(Vector<float> x) => Vector.Floor(x);
    public readonly Vector<double> Apply(Vector<double> x) => Vector.Floor(x);
}

/// <summary>⌈x⌉</summary>
internal struct CeilOp : IUnaryOp<float>, IUnaryOp<double>, IVectorized
{
    public readonly float Apply(float x) => MathF.Ceiling(x);
    public readonly double Apply(double x) => Math.Ceiling(x);
    public readonly Vector<float> Apply(Vector<float> x) => Vector.Ceiling(x);
    public readonly Vector<double> Apply(Vector<double> x) => Vector.Ceiling(x);
}

/// <summary>x rounded to the nearest integer, halves to even</summary>
internal struct RoundOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => DeviceMath.Round(x);
    public readonly double Apply(double x) => DeviceMath.Round(x);
}

/// <summary>x rounded toward zero</summary>
internal struct TruncOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => DeviceMath.Trunc(x);
    public readonly double Apply(double x) => DeviceMath.Trunc(x);
}

/// <summary>erf x = 2/√π ∫₀ˣ e^(−t²) dt</summary>
internal struct ErfOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => DeviceMath.Erf(x);
    public readonly double Apply(double x) => DeviceMath.Erf(x);
}

// The predicates give 0 or 1 in the element type, like the comparisons; |x| == ∞ and |x| < ∞ are false for NaN.

/// <summary>1 where x is NaN</summary>
internal struct IsNanOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => float.IsNaN(x) ? 1f : 0f;
    public readonly double Apply(double x) => double.IsNaN(x) ? 1d : 0d;
}

/// <summary>1 where x is ±∞</summary>
internal struct IsInfOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => Math.Abs(x) == float.PositiveInfinity ? 1f : 0f;
    public readonly double Apply(double x) => Math.Abs(x) == double.PositiveInfinity ? 1d : 0d;
}

/// <summary>1 where x is neither NaN nor ±∞</summary>
internal struct IsFiniteOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => Math.Abs(x) < float.PositiveInfinity ? 1f : 0f;
    public readonly double Apply(double x) => Math.Abs(x) < double.PositiveInfinity ? 1d : 0d;
}

/// <summary>
/// x / c (a tensor divided by a scalar): a true division, since 1/c overflows for |c| below 2.9e-39 in float
/// </summary>
internal struct DivScalarOp(double value) : IUnaryOp<float>, IUnaryOp<double>, IVectorized
{
    public double Value = value;
    public readonly float Apply(float x) => x / (float)Value;
    public readonly double Apply(double x) => x / Value;
    public readonly Vector<float> Apply(Vector<float> x) => x / new Vector<float>((float)Value);
    public readonly Vector<double> Apply(Vector<double> x) => x / new Vector<double>(Value);
}

/// <summary>
/// min(max(x, lo), hi), NaN-propagating (torch.clamp; lo &gt; hi gives hi everywhere); ±∞ for a missing bound
/// </summary>
internal struct ClampOp(double min, double max) : IUnaryOp<float>, IUnaryOp<double>
{
    public double Min = min;
    public double Max = max;
    public readonly float Apply(float x) => DeviceMath.Min(DeviceMath.Max(x, (float)Min), (float)Max);
    public readonly double Apply(double x) => DeviceMath.Min(DeviceMath.Max(x, Min), Max);
}

/// <summary>log(eᵃ + eᵇ) = max(a, b) + log1p(e^(−|a − b|)); a = b = ±∞ gives that infinity</summary>
internal struct LogAddExpOp : IBinaryOp<float>, IBinaryOp<double>
{
    public readonly float Apply(float a, float b)
    {
        float m = DeviceMath.Max(a, b);
        return Math.Abs(m) == float.PositiveInfinity && a == b ? a : m + DeviceMath.Log1p(MathF.Exp(-Math.Abs(a - b)));
    }

    public readonly double Apply(double a, double b)
    {
        double m = DeviceMath.Max(a, b);
        return Math.Abs(m) == double.PositiveInfinity && a == b ? a : m + DeviceMath.Log1p(Math.Exp(-Math.Abs(a - b)));
    }
}

/// <summary>
/// a + w·(b − a) for |w| &lt; ½, else b − (b − a)·(1 − w): torch.lerp's two forms, exact at w = 0 and at w = 1
/// </summary>
internal struct LerpOp(double weight) : IBinaryOp<float>, IBinaryOp<double>
{
    public double Weight = weight;

    public readonly float Apply(float a, float b)
    {
        float w = (float)Weight;
        return Math.Abs(w) < 0.5f ? a + w * (b - a) : b - (b - a) * (1f - w);
    }

    public readonly double Apply(double a, double b) =>
        Math.Abs(Weight) < 0.5d ? a + Weight * (b - a) : b - (b - a) * (1d - Weight);
}

/// <summary>x where the condition c is nonzero (NaN counts as true), else 0: one half of a select</summary>
internal struct KeepWhereOp : IBinaryOp<float>, IBinaryOp<double>, IVectorized
{
    public readonly float Apply(float c, float x) => c != 0f ? x : 0f;
    public readonly double Apply(double c, double x) => c != 0d ? x : 0d;
    public readonly Vector<float> Apply(Vector<float> c, Vector<float> x) =>
        Vector.ConditionalSelect(Vector.Equals(c, Vector<float>.Zero), Vector<float>.Zero, x);
    public readonly Vector<double> Apply(Vector<double> c, Vector<double> x) =>
        Vector.ConditionalSelect(Vector.Equals(c, Vector<double>.Zero), Vector<double>.Zero, x);
}

/// <summary>x where the condition c is zero, else 0: the other half of a select</summary>
internal struct KeepWhereNotOp : IBinaryOp<float>, IBinaryOp<double>, IVectorized
{
    public readonly float Apply(float c, float x) => c == 0f ? x : 0f;
    public readonly double Apply(double c, double x) => c == 0d ? x : 0d;
    public readonly Vector<float> Apply(Vector<float> c, Vector<float> x) =>
        Vector.ConditionalSelect(Vector.Equals(c, Vector<float>.Zero), x, Vector<float>.Zero);
    public readonly Vector<double> Apply(Vector<double> c, Vector<double> x) =>
        Vector.ConditionalSelect(Vector.Equals(c, Vector<double>.Zero), x, Vector<double>.Zero);
}

#pragma warning restore CS1591
