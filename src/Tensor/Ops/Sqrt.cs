using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>√x element-wise (NaN below 0).</summary>
    /// <remarks>d/dx √x = 1/(2√x): the backward reuses the output (∞ at 0, as in PyTorch).</remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Sqrt()
    {
        var result = Map<SqrtOp>(this);
        return Record(result, "sqrt", [this], g => [g / (result * 2f)], Saves.Output);
    }
}
