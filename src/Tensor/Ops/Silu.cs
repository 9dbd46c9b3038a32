using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>silu(x) = x·σ(x) element-wise (also called swish), like torch.nn.functional.silu.</summary>
    /// <remarks>
    /// silu'(x) = σ(x) + x·σ(x)·(1 − σ(x)) = σ(x)·(1 + x·(1 − σ(x))), using σ' = σ·(1 − σ). The backward is written
    /// with tensor ops (σ recomputed from x), so it is itself differentiable.
    /// </remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Silu()
    {
        var result = Map<SiluOp>(this);
        return Record(result, "silu", [this], g =>
        {
            var s = Sigmoid();
            return [g * (s * (1f + this * (1f - s)))];
        });
    }
}
