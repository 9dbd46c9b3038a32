namespace MicrogradPlus.Kernels;

/// <summary>
/// Float functions written from exp/log/sqrt so every accelerator computes them the same way. CUDA without libdevice
/// compiles tanh to tanh.approx (about 1e-3 relative error), and .NET has no erf at all.
/// </summary>
internal static partial class DeviceMath
{
    /// <summary>tanh(x) = 1 − 2/(e^{2x}+1); below |x| = 0.125 a Taylor series avoids the cancellation near 0.</summary>
    public static float Tanh(float x)
    {
        float ax = Math.Abs(x);
        if (ax < 0.125f)
        {
            float x2 = x * x;
            // x − x³/3 + 2x⁵/15 − 17x⁷/315 (next term < 2e-9 relative here)
            return x * (1f + x2 * (-1f / 3f + x2 * (2f / 15f + x2 * (-17f / 315f))));
        }
        float t = 1f - 2f / (MathF.Exp(2f * ax) + 1f);
        return x < 0f ? -t : t;
    }

    /// <summary>σ(x) = 1/(1+e^{−x}), evaluated on the side where the exponential cannot overflow.</summary>
    public static float Sigmoid(float x)
    {
        if (x >= 0f)
        {
            return 1f / (1f + MathF.Exp(-x));
        }
        float e = MathF.Exp(x);
        return e / (1f + e);
    }

    /// <summary>
    /// erfc(x) with relative error below 1.2e-7 everywhere (Chebyshev fit of Numerical Recipes, 2nd ed., §6.2).
    /// </summary>
    public static float Erfc(float x)
    {
        float z = Math.Abs(x);
        float t = 1f / (1f + 0.5f * z);
        float poly = -z * z - 1.26551223f + t * (1.00002368f + t * (0.37409196f + t * (0.09678418f +
            t * (-0.18628806f + t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f +
            t * (-0.82215223f + t * 0.17087277f))))))));
        float r = t * MathF.Exp(poly);
        return x >= 0f ? r : 2f - r;
    }

    /// <summary>erf(x) = 1 − erfc(x); a short series near 0, where 1 − erfc cancels.</summary>
    public static float Erf(float x)
    {
        if (Math.Abs(x) < 0.25f)
        {
            // 2/√π (x − x³/3 + x⁵/10 − x⁷/42)
            float x2 = x * x;
            return 1.1283791671f * x * (1f + x2 * (-1f / 3f + x2 * (0.1f + x2 * (-1f / 42f))));
        }
        return 1f - Erfc(x);
    }

    /// <summary>gelu(x) = x·Φ(x) = ½·x·erfc(−x/√2), the exact (erf) form PyTorch uses by default.</summary>
    public static float Gelu(float x) => 0.5f * x * Erfc(-x * 0.70710678118654752f);

    /// <summary>gelu'(x) = Φ(x) + x·φ(x).</summary>
    public static float GeluGrad(float x)
    {
        float cdf = 0.5f * Erfc(-x * 0.70710678118654752f);
        float pdf = 0.39894228040143268f * MathF.Exp(-0.5f * x * x);
        return cdf + x * pdf;
    }

    /// <summary>
    /// a^b with C's pow semantics (PyTorch's as well) for negative bases, integer exponents and the special values
    /// (pow(1, y) = 1, pow(±1, ±∞) = 1, pow(−∞, y) = +∞ or +0): integer exponents up to 64 by repeated squaring,
    /// otherwise exp(b·ln a).
    /// </summary>
    public static float Pow(float a, float b)
    {
        if (b == 0f)
        {
            return 1f;
        }
        if (a == 1f)
        {
            // C: pow(1, y) = 1 for every y, NaN and ±∞ included.
            return 1f;
        }
        if (float.IsNaN(b))
        {
            return b;
        }
        if (Math.Abs(b) == float.PositiveInfinity)
        {
            // C: |a| = 1 gives 1; otherwise 0 or ∞ by whether |a| < 1 and the sign of b (NaN stays NaN).
            float aa = Math.Abs(a);
            if (float.IsNaN(a) || aa == 1f)
            {
                return float.IsNaN(a) ? a : 1f;
            }
            return (aa < 1f) == (b > 0f) ? 0f : float.PositiveInfinity;
        }
        if (b == 0.5f && a != float.NegativeInfinity)
        {
            return MathF.Sqrt(a);
        }
        float ab = Math.Abs(b);
        if (ab <= 64f && ab == MathF.Floor(ab))
        {
            int n = (int)ab;
            float result = 1f;
            float p = a;
            while (n > 0)
            {
                if ((n & 1) != 0)
                {
                    result *= p;
                }
                p *= p;
                n >>= 1;
            }
            return b < 0f ? 1f / result : result;
        }
        if (a < 0f)
        {
            // Past 64 an integer exponent still takes a negative base (C's pow): |a|^b, negative for odd b.
            if (b != MathF.Floor(b))
            {
                // C: pow(−∞, y) for a y that is no odd integer is +∞ for y > 0, +0 for y < 0.
                return a == float.NegativeInfinity ? (b > 0f ? float.PositiveInfinity : 0f) : float.NaN;
            }
            float magnitude = MathF.Exp(b * MathF.Log(-a));
            return MathF.Floor(0.5f * b) == 0.5f * b ? magnitude : -magnitude;
        }
        if (a == 0f)
        {
            return b > 0f ? 0f : float.PositiveInfinity;
        }
        return MathF.Exp(b * MathF.Log(a));
    }

    /// <summary>max that propagates NaN, as torch.maximum and amax do.</summary>
    /// <remarks>
    /// The NaN test stands alone, ahead of the comparison: ILGPU 1.5.3, compiling a method a second time (the same op
    /// in another kernel), rewrites <c>a &gt; b || IsNaN(a)</c> into <c>a &gt; b | (a &lt;= b &amp; IsNaN(a))</c>,
    /// which is never true for a NaN — measured on OpenCL. Past the test, negating the comparison is harmless.
    /// </remarks>
    public static float Max(float a, float b) => float.IsNaN(a) || float.IsNaN(b) ? a + b : a > b ? a : b;

    /// <summary>min that propagates NaN, as torch.minimum and amin do (see <see cref="Max(float, float)"/>).</summary>
    public static float Min(float a, float b) => float.IsNaN(a) || float.IsNaN(b) ? a + b : a < b ? a : b;

    // Double versions serve float64 gradient checks: smooth everywhere (finite differences cross no seams), accurate
    // well beyond float32.

    /// <summary>tanh in double.</summary>
    public static double Tanh(double x) => Math.Tanh(x);

    /// <summary>σ(x) in double, on the side where the exponential cannot overflow.</summary>
    public static double Sigmoid(double x)
    {
        if (x >= 0d)
        {
            return 1d / (1d + Math.Exp(-x));
        }
        double e = Math.Exp(x);
        return e / (1d + e);
    }

    /// <summary>erfc(x) in double with the same smooth Chebyshev fit as the float version.</summary>
    public static double Erfc(double x)
    {
        double z = Math.Abs(x);
        double t = 1d / (1d + 0.5d * z);
        double poly = -z * z - 1.26551223d + t * (1.00002368d + t * (0.37409196d + t * (0.09678418d +
            t * (-0.18628806d + t * (0.27886807d + t * (-1.13520398d + t * (1.48851587d +
            t * (-0.82215223d + t * 0.17087277d))))))));
        double r = t * Math.Exp(poly);
        return x >= 0d ? r : 2d - r;
    }

    /// <summary>gelu(x) = ½·x·erfc(−x/√2) in double.</summary>
    public static double Gelu(double x) => 0.5d * x * Erfc(-x * 0.70710678118654752d);

    /// <summary>gelu'(x) = Φ(x) + x·φ(x) in double.</summary>
    public static double GeluGrad(double x) =>
        0.5d * Erfc(-x * 0.70710678118654752d) + x * 0.39894228040143268d * Math.Exp(-0.5d * x * x);

    /// <summary>a^b in double with the float version's rules.</summary>
    public static double Pow(double a, double b)
    {
        if (b == 0d)
        {
            return 1d;
        }
        if (a == 1d)
        {
            return 1d;
        }
        if (double.IsNaN(b))
        {
            return b;
        }
        if (Math.Abs(b) == double.PositiveInfinity)
        {
            double aa = Math.Abs(a);
            if (double.IsNaN(a) || aa == 1d)
            {
                return double.IsNaN(a) ? a : 1d;
            }
            return (aa < 1d) == (b > 0d) ? 0d : double.PositiveInfinity;
        }
        double ab = Math.Abs(b);
        if (ab <= 64d && ab == Math.Floor(ab))
        {
            int n = (int)ab;
            double result = 1d;
            double p = a;
            while (n > 0)
            {
                if ((n & 1) != 0)
                {
                    result *= p;
                }
                p *= p;
                n >>= 1;
            }
            return b < 0d ? 1d / result : result;
        }
        if (a < 0d)
        {
            if (b != Math.Floor(b))
            {
                return a == double.NegativeInfinity ? (b > 0d ? double.PositiveInfinity : 0d) : double.NaN;
            }
            double magnitude = Math.Exp(b * Math.Log(-a));
            return Math.Floor(0.5d * b) == 0.5d * b ? magnitude : -magnitude;
        }
        if (a == 0d)
        {
            return b > 0d ? 0d : double.PositiveInfinity;
        }
        return Math.Exp(b * Math.Log(a));
    }

    /// <summary>NaN-propagating max in double.</summary>
    public static double Max(double a, double b) => double.IsNaN(a) || double.IsNaN(b) ? a + b : a > b ? a : b;

    /// <summary>NaN-propagating min in double.</summary>
    public static double Min(double a, double b) => double.IsNaN(a) || double.IsNaN(b) ? a + b : a < b ? a : b;
}
