using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>xᵖ element-wise for a scalar exponent p (C's pow: a negative base needs an integer exponent).</summary>
    /// <remarks>
    /// d/dx xᵖ = p·xᵖ⁻¹, itself a recorded pow, so higher orders follow. For p = 0 the gradient is 0 everywhere,
    /// x = 0 included, as in PyTorch (0·0⁻¹ would be NaN).
    /// </remarks>
    /// <param name="exponent">The exponent p.</param>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Pow(float exponent)
    {
        var result = Map(this, new PowScalarOp(exponent));
        return Record(result, "pow", [this], g => [exponent == 0f ? g * 0f : g * exponent * Pow(exponent - 1f)]);
    }

    /// <summary>Element-wise aᵇ with broadcasting (a is this tensor, b the exponent).</summary>
    /// <remarks>
    /// ∂/∂a = b·aᵇ⁻¹ and ∂/∂b = aᵇ·ln a, each summed back to its input's shape, with PyTorch's masking:
    /// ∂/∂a is 0 where b = 0 (not 0·0⁻¹ = NaN at a = 0), and ∂/∂b is 0 where a = 0 and b ≥ 0 (not 0·ln 0). Both are
    /// written without a select op, by shifting the argument where the mask holds: ∂/∂a = b·a^(b−1+[b=0]) and
    /// ∂/∂b = aᵇ·ln(a + [a=0 ∧ b≥0]), so the masked elements become b·a⁰ = 0 and aᵇ·ln 1 = 0. The masks are
    /// constants (piecewise constant functions have zero derivative), so both rules stay differentiable. Elsewhere
    /// the values are PyTorch's too: ln a is NaN for a &lt; 0, and a = 0 with b &lt; 0 gives ∞·(−∞) = −∞.
    /// </remarks>
    /// <param name="exponent">The exponents; broadcasts with this tensor.</param>
    /// <returns>A new tensor of the broadcast shape.</returns>
    public Tensor Pow(Tensor exponent)
    {
        ArgumentNullException.ThrowIfNull(exponent);
        Tensor a = this, b = exponent;
        var result = Zip<PowOp>(a, b, "pow");
        return Record(result, "pow", [a, b], g => [
            a.RequiresGrad ? SumToShape(g * b * a.Pow(b - 1f + b.Eq(0f)), a._shape) : null,
            b.RequiresGrad ? SumToShape(g * result * (a + PowExponentMask(a, b)).Log(), b._shape) : null,
        ]);
    }

    /// <summary>sˣ element-wise for a scalar base s (torch.pow(s, x)).</summary>
    /// <remarks>
    /// d/dx sˣ = sˣ·ln s, reusing the output. For s = 0 PyTorch's rule holds: 0 where x ≥ 0, and ∞·ln 0 = −∞ where
    /// x &lt; 0 — written as ln [x ≥ 0], which is 0 or −∞. A negative s gives NaN (ln s), as in PyTorch.
    /// </remarks>
    /// <param name="base">The scalar base s.</param>
    /// <param name="exponent">The exponents x.</param>
    /// <returns>A new tensor of <paramref name="exponent"/>'s shape and dtype.</returns>
    public static Tensor Pow(float @base, Tensor exponent)
    {
        ArgumentNullException.ThrowIfNull(exponent);
        var result = Map(exponent, new ScalarPowOp(@base));
        return Record(result, "pow", [exponent], g => [
            @base == 0f
                ? g * result * exponent.Ge(0f).Log()
                : g * result * MathF.Log(@base),
        ]);
    }

    /// <summary>[a = 0 ∧ b ≥ 0] in the broadcast shape: where PyTorch zeroes the gradient of aᵇ for b.</summary>
    private static Tensor PowExponentMask(Tensor a, Tensor b)
    {
        using var aIsZero = a.Eq(0f);
        using var bNonNegative = b.Ge(0f);
        return Zip<MulOp>(aIsZero, bNonNegative, "pow");
    }
}
