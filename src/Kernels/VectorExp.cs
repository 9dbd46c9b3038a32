using System.Numerics;
using System.Runtime.CompilerServices;

namespace MicrogradPlus.Kernels;

/// <summary>
/// eˣ on the lanes of a <see cref="Vector{T}"/>, for the host executor's vector forms (kernels call the scalar
/// MathF.Exp / Math.Exp). eˣ = 2ᵏ·eʳ with k = round(x/ln 2) and r = x − k·ln 2, |r| ≤ ln 2 / 2: ln 2 is split in two
/// parts whose first times k is exact, so r carries no cancellation error; eʳ is a polynomial, 2ᵏ is built in the
/// exponent bits. Float stays in float lanes (a degree-7 fit, within about 1 ulp) instead of widening to double as
/// .NET's Vector.Exp does, which halves the lanes per instruction; double sums Taylor's series to r¹³ (truncation
/// below 10⁻¹⁷) in Estrin's order, so the dependent chain is six steps deep rather than thirteen.
/// </summary>
/// <remarks>
/// Both take one fast branch while every lane has |x| small enough that 2ᵏ is a normal number. Otherwise 2ᵏ is
/// applied as two halves, 2^⌊k/2⌋ · 2^(k − ⌊k/2⌋): exact wherever the result is normal, so a lane gets the very same
/// bits whichever branch its neighbours send it down, and rounded once into the subnormals, to 0 below them and to ∞
/// above the largest finite result. NaN comes back as NaN. Multiply-adds are fused where the hardware fuses them.
/// </remarks>
internal static class VectorExp
{
    /// <summary>eˣ on float lanes.</summary>
    /// <param name="x">The exponents.</param>
    /// <returns>eˣ per lane.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Exp(Vector<float> x)
    {
        var p = Reduced(x, out var k);
        if (Vector.LessThanAll(Vector.Abs(x), new Vector<float>(87f)))
        {
            return p * Pow2(k);
        }
        return Wide(x);
    }

    /// <summary>eˣ on double lanes.</summary>
    /// <param name="x">The exponents.</param>
    /// <returns>eˣ per lane.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> Exp(Vector<double> x)
    {
        var p = Reduced(x, out var k);
        if (Vector.LessThanAll(Vector.Abs(x), new Vector<double>(708d)))
        {
            return p * Pow2(k);
        }
        return Wide(x);
    }

    // Out of line: large exponents are rare, and the loops stay small.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Vector<float> Wide(Vector<float> x)
    {
        // Past ±104 every result is 0 or ∞ already; clamping keeps k's halves inside the exponent range.
        var p = Reduced(Vector.Min(Vector.Max(x, new Vector<float>(-104f)), new Vector<float>(89f)), out var k);
        var half = Vector.ShiftRightArithmetic(k, 1);
        return Vector.ConditionalSelect(Vector.Equals(x, x), p * Pow2(half) * Pow2(k - half), x);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Vector<double> Wide(Vector<double> x)
    {
        var p = Reduced(Vector.Min(Vector.Max(x, new Vector<double>(-746d)), new Vector<double>(710d)), out var k);
        var half = Vector.Floor(k * new Vector<double>(0.5));
        return Vector.ConditionalSelect(Vector.Equals(x, x), p * Pow2(half) * Pow2(k - half), x);
    }

    /// <summary>eʳ for r = x − k·ln 2, and k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Reduced(Vector<float> x, out Vector<int> k)
    {
        var n = Vector.Round(x * new Vector<float>(1.44269504f));
        // 0.693359375 has nine significant bits: n times it is exact for every n that reaches here.
        var r = MulAdd(n, new Vector<float>(-0.693359375f), x);
        r = MulAdd(n, new Vector<float>(2.12194440e-4f), r);
        // e^r − 1 − r = r²·P(r), P fitted on |r| ≤ ln 2 / 2.
        var p = MulAdd(new Vector<float>(1.9875691500e-4f), r, new Vector<float>(1.3981999507e-3f));
        p = MulAdd(p, r, new Vector<float>(8.3334519073e-3f));
        p = MulAdd(p, r, new Vector<float>(4.1665795894e-2f));
        p = MulAdd(p, r, new Vector<float>(1.6666665459e-1f));
        p = MulAdd(p, r, new Vector<float>(5.0000001201e-1f));
        k = Vector.ConvertToInt32(n);
        return MulAdd(p, r * r, r) + Vector<float>.One;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<double> Reduced(Vector<double> x, out Vector<double> k)
    {
        k = Vector.Round(x * new Vector<double>(1.4426950408889634));
        // The high part has 32 significant bits: k times it is exact for |k| < 2²¹.
        var r = MulAdd(k, new Vector<double>(-6.93147180369123816490e-01), x);
        r = MulAdd(k, new Vector<double>(-1.90821492927058770002e-10), r);
        Vector<double> r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
        // Σ rⁱ/i! for i ≤ 13 in Estrin's grouping: pairs, then pairs of pairs.
        var low = MulAdd(MulAdd(Of(1d / 6), r, Of(0.5)), r2, r + Vector<double>.One);
        var middle = MulAdd(MulAdd(Of(1d / 5040), r, Of(1d / 720)), r2, MulAdd(Of(1d / 120), r, Of(1d / 24)));
        var high = MulAdd(MulAdd(Of(1d / 6227020800), r, Of(1d / 479001600)), r4,
            MulAdd(MulAdd(Of(1d / 39916800), r, Of(1d / 3628800)), r2, MulAdd(Of(1d / 362880), r, Of(1d / 40320))));
        return MulAdd(high, r8, MulAdd(middle, r4, low));
    }

    /// <summary>2ᵏ for integer k in [−126, 127], built in the exponent field.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Pow2(Vector<int> k) =>
        Vector.ShiftLeft(k + new Vector<int>(127), 23).As<int, float>();

    /// <summary>
    /// 2ᵏ for integral k in [−1022, 1023]: adding 1.5·2⁵² leaves k in the low bits of the sum (AVX2 has no
    /// double-to-long conversion), and the shift drops everything above them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<double> Pow2(Vector<double> k) =>
        Vector.ShiftLeft((k + new Vector<double>(6755399441055744d)).As<double, ulong>() + new Vector<ulong>(1023), 52)
            .As<ulong, double>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> MulAdd(Vector<float> a, Vector<float> b, Vector<float> c) =>
        Vector.MultiplyAddEstimate(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<double> MulAdd(Vector<double> a, Vector<double> b, Vector<double> c) =>
        Vector.MultiplyAddEstimate(a, b, c);

    private static Vector<double> Of(double value) => new(value);
}
