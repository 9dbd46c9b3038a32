namespace MicrogradPlus.Kernels;

/// <summary>
/// The special functions that ILGPU does not map to a device instruction (log1p, expm1, round-half-to-even, trunc,
/// a float64 erf), written from exp, log, floor and ceiling so every accelerator computes them the same way.
/// </summary>
internal static partial class DeviceMath
{
    /// <summary>
    /// ln(1 + x), accurate for tiny x: with u = 1 + x rounded, ln(u)·x/(u − 1) cancels the rounding of u (Goldberg,
    /// "What every computer scientist should know about floating-point arithmetic", theorem 4).
    /// </summary>
    public static float Log1p(float x)
    {
        float u = 1f + x;
        if (u == 1f)
        {
            return x;
        }
        if (u == float.PositiveInfinity)
        {
            return u;
        }
        return MathF.Log(u) * x / (u - 1f);
    }

    /// <summary>ln(1 + x) in double (see <see cref="Log1p(float)"/>).</summary>
    public static double Log1p(double x)
    {
        double u = 1d + x;
        if (u == 1d)
        {
            return x;
        }
        if (u == double.PositiveInfinity)
        {
            return u;
        }
        return Math.Log(u) * x / (u - 1d);
    }

    /// <summary>eˣ − 1, accurate for tiny x: with u = eˣ rounded, (u − 1)·x/ln u cancels the rounding (Kahan).</summary>
    public static float Expm1(float x)
    {
        float u = MathF.Exp(x);
        if (u == 1f)
        {
            return x;
        }
        float um1 = u - 1f;
        if (um1 == -1f || u == float.PositiveInfinity)
        {
            return um1;
        }
        return um1 * x / MathF.Log(u);
    }

    /// <summary>eˣ − 1 in double (see <see cref="Expm1(float)"/>).</summary>
    public static double Expm1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1d)
        {
            return x;
        }
        double um1 = u - 1d;
        if (um1 == -1d || u == double.PositiveInfinity)
        {
            return um1;
        }
        return um1 * x / Math.Log(u);
    }

    /// <summary>
    /// x rounded to the nearest integer, halves to the even one (torch.round, IEEE roundeven); the sign of a zero
    /// result is x's. NaN and ±∞ pass through (x − ⌊x⌋ is NaN for them, and ⌊x⌋ + 1 keeps them).
    /// </summary>
    public static float Round(float x)
    {
        float f = MathF.Floor(x);
        float d = x - f;
        float r = d > 0.5f ? f + 1f : d < 0.5f ? f : MathF.Floor(0.5f * f) == 0.5f * f ? f : f + 1f;
        return MathF.CopySign(r, x);
    }

    /// <summary>Round half to even in double (see <see cref="Round(float)"/>).</summary>
    public static double Round(double x)
    {
        double f = Math.Floor(x);
        double d = x - f;
        double r = d > 0.5d ? f + 1d : d < 0.5d ? f : Math.Floor(0.5d * f) == 0.5d * f ? f : f + 1d;
        return Math.CopySign(r, x);
    }

    /// <summary>x rounded toward zero (−0.5 gives −0, as in C).</summary>
    public static float Trunc(float x) => x >= 0f ? MathF.Floor(x) : MathF.Ceiling(x);

    /// <summary>x rounded toward zero in double.</summary>
    public static double Trunc(double x) => x >= 0d ? Math.Floor(x) : Math.Ceiling(x);

    /// <summary>
    /// erf(x) in double: its Maclaurin series 2/√π·Σ (−1)ⁿx²ⁿ⁺¹/(n!(2n+1)) below |x| = 2.5 (at most two digits lost to
    /// cancellation), 1 − erfc(|x|) above, where erfc &lt; 4.1e-4 makes the fit's 1.2e-7 relative error negligible.
    /// </summary>
    public static double Erf(double x)
    {
        double ax = Math.Abs(x);
        if (ax < 2.5d)
        {
            double x2 = x * x;
            double term = x;
            double sum = x;
            for (int n = 1; n < 80; n++)
            {
                term *= -x2 / n;
                double next = term / (2 * n + 1);
                sum += next;
                if (Math.Abs(next) < 1e-17 * Math.Abs(sum))
                {
                    break;
                }
            }
            return 1.1283791670955126d * sum;
        }
        // NaN falls through to here: erfc(NaN) is NaN.
        double r = 1d - Erfc(ax);
        return x < 0d ? -r : r;
    }
}
