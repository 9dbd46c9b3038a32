using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// 1 where x is NaN, else 0 (torch.isnan), in this tensor's float dtype: masks are float 0/1 tensors here, so they
    /// multiply into other tensors and serve as conditions of <see cref="Where(Tensor, Tensor, Tensor)"/>. Never
    /// requires grad.
    /// </summary>
    /// <remarks>yᵢ = [xᵢ is NaN]; a step function, left out of the graph.</remarks>
    /// <returns>A float 0/1 tensor of this tensor's shape and dtype.</returns>
    public Tensor IsNan() => Map<IsNanOp>(this);

    /// <summary>1 where x is +∞ or −∞, else 0 (torch.isinf), as a float 0/1 mask. Never requires grad.</summary>
    /// <remarks>yᵢ = [|xᵢ| = ∞]; a step function, left out of the graph.</remarks>
    /// <returns>A float 0/1 tensor of this tensor's shape and dtype.</returns>
    public Tensor IsInf() => Map<IsInfOp>(this);

    /// <summary>1 where x is neither NaN nor ±∞, else 0 (torch.isfinite), as a float 0/1 mask. Never requires grad.</summary>
    /// <remarks>yᵢ = [|xᵢ| &lt; ∞]; a step function, left out of the graph.</remarks>
    /// <returns>A float 0/1 tensor of this tensor's shape and dtype.</returns>
    public Tensor IsFinite() => Map<IsFiniteOp>(this);
}
