using System.Numerics;

namespace MicrogradPlus.Kernels;

// The activation functions of torch.nn beyond relu/tanh/sigmoid/gelu/silu: each operator's summary states its
// function, with PyTorch's constants and thresholds.
#pragma warning disable CS1591 // the summary states each operator's math; the Apply overloads are that math

/// <summary>softplus(x) = log(1 + e^(βx))/β, and x itself where βx &gt; threshold</summary>
internal struct SoftplusOp(double beta, double threshold) : IUnaryOp<float>, IUnaryOp<double>
{
    public double Beta = beta;
    public double Threshold = threshold;

    public readonly float Apply(float x)
    {
        float z = x * (float)Beta;
        return z > (float)Threshold ? x : DeviceMath.Log1p(MathF.Exp(z)) / (float)Beta;
    }

    public readonly double Apply(double x)
    {
        double z = x * Beta;
        return z > Threshold ? x : DeviceMath.Log1p(Math.Exp(z)) / Beta;
    }
}

/// <summary>scale·x for x &gt; 0, else scale·α·(eˣ − 1): elu (scale 1) and selu</summary>
internal struct EluOp(double alpha, double scale) : IUnaryOp<float>, IUnaryOp<double>
{
    public double Alpha = alpha;
    public double Scale = scale;
    public readonly float Apply(float x) =>
        x > 0f ? (float)Scale * x : (float)Scale * (float)Alpha * DeviceMath.Expm1(x);
    public readonly double Apply(double x) => x > 0d ? Scale * x : Scale * Alpha * DeviceMath.Expm1(x);
}

/// <summary>½x·(1 + tanh(√(2/π)·(x + 0.044715x³))): gelu's tanh approximation</summary>
internal struct GeluTanhOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) =>
        0.5f * x * (1f + DeviceMath.Tanh(0.7978845608028654f * (x + 0.044715f * x * x * x)));
    public readonly double Apply(double x) =>
        0.5d * x * (1d + DeviceMath.Tanh(0.7978845608028654d * (x + 0.044715d * x * x * x)));
}

/// <summary>x·min(max(x + 3, 0), 6)/6 (NaN passes through the comparisons)</summary>
internal struct HardswishOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => x * Relu6(x + 3f) / 6f;
    public readonly double Apply(double x) => x * Relu6(x + 3d) / 6d;
    internal static float Relu6(float x) => x < 0f ? 0f : x > 6f ? 6f : x;
    internal static double Relu6(double x) => x < 0d ? 0d : x > 6d ? 6d : x;
}

/// <summary>min(max(x + 3, 0), 6)/6</summary>
internal struct HardsigmoidOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => HardswishOp.Relu6(x + 3f) / 6f;
    public readonly double Apply(double x) => HardswishOp.Relu6(x + 3d) / 6d;
}

/// <summary>x·tanh(ln(1 + eˣ))</summary>
internal struct MishOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => x * DeviceMath.Tanh(DeviceMath.Log1p(MathF.Exp(x)));
    public readonly double Apply(double x) => x * DeviceMath.Tanh(DeviceMath.Log1p(Math.Exp(x)));
}

/// <summary>log σ(x) = min(x, 0) − log(1 + e^(−|x|))</summary>
internal struct LogSigmoidOp : IUnaryOp<float>, IUnaryOp<double>
{
    public readonly float Apply(float x) => (x < 0f ? x : 0f) - DeviceMath.Log1p(MathF.Exp(-Math.Abs(x)));
    public readonly double Apply(double x) => (x < 0d ? x : 0d) - DeviceMath.Log1p(Math.Exp(-Math.Abs(x)));
}

/// <summary>x/(1 + |x|)</summary>
internal struct SoftsignOp : IUnaryOp<float>, IUnaryOp<double>, IVectorized
{
    public readonly float Apply(float x) => x / (1f + Math.Abs(x));
    public readonly double Apply(double x) => x / (1d + Math.Abs(x));
    public readonly Vector<float> Apply(Vector<float> x) => x / (Vector<float>.One + Vector.Abs(x));
    public readonly Vector<double> Apply(Vector<double> x) => x / (Vector<double>.One + Vector.Abs(x));
}

#pragma warning restore CS1591
