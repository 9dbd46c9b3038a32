using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>max(x, 0) element-wise.</summary>
    /// <remarks>relu'(x) = [x &gt; 0] (0 at x = 0, like PyTorch), a constant mask.</remarks>
    public Tensor Relu()
    {
        var result = Map<ReluOp>(this);
        return Record(result, "relu", [this], g => [g * Map<ReluMaskOp>(this)]);
    }
}
