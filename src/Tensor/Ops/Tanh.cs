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
        return Record(result, "tanh", [this], g => [g * (1f - result * result)], Saves.Output);
    }
}
