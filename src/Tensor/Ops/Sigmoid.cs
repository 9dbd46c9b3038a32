using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>The logistic function σ(x) = 1/(1 + e⁻ˣ) element-wise, computed without overflow.</summary>
    /// <remarks>σ'(x) = σ(x)·(1 − σ(x)): the backward reuses the output.</remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Sigmoid()
    {
        var result = Map<SigmoidOp>(this);
        return Record(result, "sigmoid", [this], g => [SigmoidBackward(g, result)], Saves.Output);
    }

    /// <summary>g·y·(1 − y) for y = σ(x): the gradient from the output alone (also a Linear fused with σ's).</summary>
    internal static Tensor SigmoidBackward(Tensor g, Tensor y) => g * y * (1f - y);
}
