using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>tanh x element-wise (from exp on every device, see <see cref="DeviceMath.Tanh(float)"/>).</summary>
    /// <remarks>tanh'(x) = 1 − tanh²(x): the backward reuses the output.</remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Tanh()
    {
        var result = Map<TanhOp>(this);
        return Record(result, "tanh", [this], g => [TanhBackward(g, result)], Saves.Output);
    }

    /// <summary>g·(1 − y²) for y = tanh x: the gradient from the output alone (also a Linear fused with tanh's).</summary>
    internal static Tensor TanhBackward(Tensor g, Tensor y) => g * (1f - y * y);
}
