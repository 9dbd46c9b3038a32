using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>|x| element-wise.</summary>
    /// <remarks>d/dx |x| = sign(x), taken as 0 at x = 0 like PyTorch; the sign is a constant mask.</remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Abs()
    {
        var result = Map<AbsOp>(this);
        return Record(result, "abs", [this], g => [g * Map<SignOp>(this)]);
    }
}
