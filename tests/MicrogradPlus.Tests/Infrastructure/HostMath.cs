namespace MicrogradPlus.Tests.Infrastructure;

/// <summary>
/// Float64 references for functions .NET lacks. Accurate to about 1e-15 relative: far tighter than the kernels'
/// float32 results (and than their erfc fit, 1.2e-7), so a mismatch is the kernel's.
/// </summary>
public static class HostMath
{
    private const double TwoOverSqrtPi = 1.1283791670955126;
    private const double InvSqrt2 = 0.70710678118654752;
    private const double InvSqrt2Pi = 0.39894228040143268;

    /// <summary>
    /// erf(x). Below |x| = 2.5 the series erf x = 2/√π·e^{−x²}·Σ 2ⁿx^{2n+1}/(1·3·…·(2n+1)), whose terms share one
    /// sign (no cancellation); above it 1 − erfc(x) from the continued fraction.
    /// </summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x))
        {
            return double.NaN;
        }
        double ax = Math.Abs(x);
        double r;
        if (ax < 2.5)
        {
            double twoX2 = 2 * ax * ax;
            double term = ax, sum = ax;
            for (int n = 1; n < 200 && term > sum * 1e-18; n++)
            {
                term *= twoX2 / (2 * n + 1);
                sum += term;
            }
            r = TwoOverSqrtPi * Math.Exp(-ax * ax) * sum;
        }
        else
        {
            r = 1 - ErfcContinuedFraction(ax);
        }
        return x < 0 ? -r : r;
    }

    /// <summary>erfc(x) = 1 − erf(x), from the continued fraction where it is small (x ≥ 2.5).</summary>
    public static double Erfc(double x) => x >= 2.5 ? ErfcContinuedFraction(x) : 1 - Erf(x);

    /// <summary>Φ(x), the standard normal CDF: ½·erfc(−x/√2).</summary>
    public static double NormalCdf(double x) => 0.5 * Erfc(-x * InvSqrt2);

    /// <summary>φ(x), the standard normal density.</summary>
    public static double NormalPdf(double x) => InvSqrt2Pi * Math.Exp(-0.5 * x * x);

    /// <summary>gelu(x) = x·Φ(x) = x·½·(1 + erf(x/√2)), PyTorch's exact form.</summary>
    public static double Gelu(double x) => x * NormalCdf(x);

    /// <summary>gelu'(x) = Φ(x) + x·φ(x).</summary>
    public static double GeluGrad(double x) => NormalCdf(x) + x * NormalPdf(x);

    /// <summary>1/(1 + e^{−x}).</summary>
    public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>silu(x) = x·σ(x); NaN at −∞ (−∞·0), as torch.nn.functional.silu gives.</summary>
    public static double Silu(double x) => x * Sigmoid(x);

    /// <summary>max(a, b) that propagates NaN (torch.maximum).</summary>
    public static double Maximum(double a, double b) =>
        double.IsNaN(a) || double.IsNaN(b) ? double.NaN : Math.Max(a, b);

    /// <summary>min(a, b) that propagates NaN (torch.minimum).</summary>
    public static double Minimum(double a, double b) =>
        double.IsNaN(a) || double.IsNaN(b) ? double.NaN : Math.Min(a, b);

    // erfc(x) = e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))), evaluated from the tail; 80 terms
    // converge to double precision for x ≥ 2.5.
    private static double ErfcContinuedFraction(double x)
    {
        if (double.IsPositiveInfinity(x))
        {
            return 0;
        }
        double f = x;
        for (int n = 80; n >= 1; n--)
        {
            f = x + n * 0.5 / f;
        }
        return Math.Exp(-x * x) / (Math.Sqrt(Math.PI) * f);
    }
}
