using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>eˣ element-wise.</summary>
    /// <remarks>d/dx eˣ = eˣ: the backward reuses the output.</remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Exp()
    {
        var result = Map<ExpOp>(this);
        return Record(result, "exp", [this], g => [g * result], Saves.Output);
    }
}
