using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>1/√x element-wise (torch.rsqrt): ∞ at 0, NaN below.</summary>
    /// <remarks>d/dx x^(−½) = −½·x^(−3/2) = −½·y³: the backward reuses the output y.</remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Rsqrt()
    {
        var result = Map<RsqrtOp>(this);
        return Record(result, "rsqrt", [this], g => [g * result * result * result * -0.5f], Saves.Output);
    }

    /// <summary>1/x element-wise (torch.reciprocal).</summary>
    /// <remarks>d/dx x⁻¹ = −x⁻² = −y²: the backward reuses the output y.</remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Reciprocal()
    {
        var result = Map<ReciprocalOp>(this);
        return Record(result, "reciprocal", [this], g => [-g * result * result], Saves.Output);
    }

    /// <summary>x² element-wise (torch.square).</summary>
    /// <remarks>d/dx x² = 2x.</remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Square()
    {
        var result = Map<SquareOp>(this);
        return Record(result, "square", [this], g => [g * this * 2f]);
    }
}
