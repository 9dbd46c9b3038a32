using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>max(x, 0) element-wise.</summary>
    /// <remarks>
    /// relu'(x) = [x &gt; 0] (0 at x = 0, like PyTorch), a constant mask: the backward is g where x &gt; 0, one fused
    /// launch instead of a mask and a product.
    /// </remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Relu()
    {
        var result = Map<ReluOp>(this);
        return Record(result, "relu", [this], g => [ReluBackward(g, this)], Saves.Inputs);
    }

    /// <summary>
    /// g where x &gt; 0, else 0 (x relu's input or its output: the mask is the same). Differentiable in g (the same
    /// mask again, for higher orders); its derivative in x is zero wherever it exists, so x gets none.
    /// </summary>
    private static Tensor ReluBackward(Tensor g, Tensor x)
    {
        var result = Zip<ReluBackwardOp>(g, x, "relu backward");
        return Record(result, "relu_backward", [g, x], gg => [ReluBackward(gg, x), null], Saves.Inputs);
    }
}
