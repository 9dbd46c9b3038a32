using System.Numerics;

namespace MicrogradPlus.Kernels;

/// <summary>
/// A function of two values applied element-wise with broadcasting, for float and double: scalar form for the
/// kernels, and optionally (<see cref="IVectorized"/>) a vector form for the host executor's span drivers, which also
/// serves a broadcast operand as one value repeated across the lanes.
/// </summary>
internal interface IBinaryOp<T> where T : unmanaged
{
    /// <summary>The function's value at (<paramref name="a"/>, <paramref name="b"/>).</summary>
    T Apply(T a, T b);

    /// <summary>The function on every pair of lanes: <see cref="Apply(T, T)"/>'s math on <see cref="Vector{T}"/>.</summary>
    Vector<T> Apply(Vector<T> a, Vector<T> b) => throw VectorForm.Missing(GetType());
}

#pragma warning disable CS1591 // the summary states each operator's math
// Comparisons give 0 or 1 in the element type, so masks multiply straight into gradients.
/// <summary>a + b</summary>
internal struct AddOp : IBinaryOp<float>, IBinaryOp<double>, IVectorized
{
    public readonly float Apply(float a, float b) => a + b;
    public readonly double Apply(double a, double b) => a + b;
    public readonly Vector<float> Apply(Vector<float> a, Vector<float> b) => a + b;
    public readonly Vector<double> Apply(Vector<double> a, Vector<double> b) => a + b;
}

/// <summary>a − b</summary>
internal struct SubOp : IBinaryOp<float>, IBinaryOp<double>, IVectorized
{
    public readonly float Apply(float a, float b) => a - b;
    public readonly double Apply(double a, double b) => a - b;
    public readonly Vector<float> Apply(Vector<float> a, Vector<float> b) => a - b;
    public readonly Vector<double> Apply(Vector<double> a, Vector<double> b) => a - b;
}

/// <summary>a · b</summary>
internal struct MulOp : IBinaryOp<float>, IBinaryOp<double>, IVectorized
{
    public readonly float Apply(float a, float b) => a * b;
    public readonly double Apply(double a, double b) => a * b;
    public readonly Vector<float> Apply(Vector<float> a, Vector<float> b) => a * b;
    public readonly Vector<double> Apply(Vector<double> a, Vector<double> b) => a * b;
}

/// <summary>a / b</summary>
internal struct DivOp : IBinaryOp<float>, IBinaryOp<double>, IVectorized
{
    public readonly float Apply(float a, float b) => a / b;
    public readonly double Apply(double a, double b) => a / b;
    public readonly Vector<float> Apply(Vector<float> a, Vector<float> b) => a / b;
    public readonly Vector<double> Apply(Vector<double> a, Vector<double> b) => a / b;
}

/// <summary>(a − b)², the mean squared error's terms in one launch.</summary>
internal struct SquaredDifferenceOp : IBinaryOp<float>, IBinaryOp<double>, IVectorized
{
    public readonly float Apply(float a, float b) => (a - b) * (a - b);
    public readonly double Apply(double a, double b) => (a - b) * (a - b);
    public readonly Vector<float> Apply(Vector<float> a, Vector<float> b) => (a - b) * (a - b);
    public readonly Vector<double> Apply(Vector<double> a, Vector<double> b) => (a - b) * (a - b);
}

/// <summary>
/// relu's backward in one launch: g where x &gt; 0, else 0 (a select, so an infinite g at x ≤ 0 gives 0, as PyTorch's
/// threshold_backward).
/// </summary>
internal struct ReluBackwardOp : IBinaryOp<float>, IBinaryOp<double>, IVectorized
{
    public readonly float Apply(float g, float x) => x > 0f ? g : 0f;
    public readonly double Apply(double g, double x) => x > 0d ? g : 0d;
    public readonly Vector<float> Apply(Vector<float> a, Vector<float> b) =>
        VectorForm.WherePositive(b, a, Vector<float>.Zero);
    public readonly Vector<double> Apply(Vector<double> a, Vector<double> b) =>
        VectorForm.WherePositive(b, a, Vector<double>.Zero);
}

/// <summary>aᵇ</summary>
internal struct PowOp : IBinaryOp<float>, IBinaryOp<double>
{
    public readonly float Apply(float a, float b) => DeviceMath.Pow(a, b);
    public readonly double Apply(double a, double b) => DeviceMath.Pow(a, b);
}

/// <summary>max(a, b), NaN-propagating</summary>
internal struct MaximumOp : IBinaryOp<float>, IBinaryOp<double>
{
    public readonly float Apply(float a, float b) => DeviceMath.Max(a, b);
    public readonly double Apply(double a, double b) => DeviceMath.Max(a, b);
}

/// <summary>min(a, b), NaN-propagating</summary>
internal struct MinimumOp : IBinaryOp<float>, IBinaryOp<double>
{
    public readonly float Apply(float a, float b) => DeviceMath.Min(a, b);
    public readonly double Apply(double a, double b) => DeviceMath.Min(a, b);
}

/// <summary>1 where a &gt; b</summary>
internal struct GreaterOp : IBinaryOp<float>, IBinaryOp<double>
{
    public readonly float Apply(float a, float b) => a > b ? 1f : 0f;
    public readonly double Apply(double a, double b) => a > b ? 1d : 0d;
}

/// <summary>1 where a ≥ b</summary>
internal struct GreaterEqualOp : IBinaryOp<float>, IBinaryOp<double>
{
    public readonly float Apply(float a, float b) => a >= b ? 1f : 0f;
    public readonly double Apply(double a, double b) => a >= b ? 1d : 0d;
}

/// <summary>1 where a &lt; b</summary>
internal struct LessOp : IBinaryOp<float>, IBinaryOp<double>
{
    public readonly float Apply(float a, float b) => a < b ? 1f : 0f;
    public readonly double Apply(double a, double b) => a < b ? 1d : 0d;
}

/// <summary>1 where a ≤ b</summary>
internal struct LessEqualOp : IBinaryOp<float>, IBinaryOp<double>
{
    public readonly float Apply(float a, float b) => a <= b ? 1f : 0f;
    public readonly double Apply(double a, double b) => a <= b ? 1d : 0d;
}

/// <summary>1 where a = b</summary>
internal struct EqualOp : IBinaryOp<float>, IBinaryOp<double>
{
    public readonly float Apply(float a, float b) => a == b ? 1f : 0f;
    public readonly double Apply(double a, double b) => a == b ? 1d : 0d;
}

/// <summary>1 where a ≠ b</summary>
internal struct NotEqualOp : IBinaryOp<float>, IBinaryOp<double>
{
    public readonly float Apply(float a, float b) => a != b ? 1f : 0f;
    public readonly double Apply(double a, double b) => a != b ? 1d : 0d;
}

#pragma warning restore CS1591
