using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>log(eᵃ + eᵇ) element-wise with broadcasting (torch.logaddexp), computed without overflow.</summary>
    /// <remarks>
    /// y = max(a, b) + log(1 + e^(−|a − b|)); y = a where a = b = ±∞. ∂y/∂a = e^(a−y) = σ(a − b) and
    /// ∂y/∂b = σ(b − a), each summed back to its input's shape (NaN where a = b = ±∞, as in PyTorch).
    /// </remarks>
    /// <param name="other">The other operand; broadcasts with this one.</param>
    /// <returns>A new tensor of the broadcast shape.</returns>
    public Tensor LogAddExp(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var a = this;
        var result = Zip<LogAddExpOp>(a, other, "logaddexp");
        return Record(result, "logaddexp", [a, other], g => [
            a.RequiresGrad ? SumToShape(g * (a - other).Sigmoid(), a._shape) : null,
            other.RequiresGrad ? SumToShape(g * (other - a).Sigmoid(), other._shape) : null,
        ]);
    }
}
