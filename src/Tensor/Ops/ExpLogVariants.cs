using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    private const double Ln2 = 0.6931471805599453;

    /// <summary>log₂ x element-wise (−∞ at 0, NaN below).</summary>
    /// <remarks>d/dx log₂ x = 1/(x·ln 2).</remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Log2()
    {
        var result = Map<Log2Op>(this);
        return Record(result, "log2", [this], g => [(g / this).Scale(1d / Ln2)]);
    }

    /// <summary>2ˣ element-wise (exact for integer x).</summary>
    /// <remarks>d/dx 2ˣ = 2ˣ·ln 2: the backward reuses the output.</remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Exp2()
    {
        var result = Map<Exp2Op>(this);
        return Record(result, "exp2", [this], g => [(g * result).Scale(Ln2)], Saves.Output);
    }

    /// <summary>ln(1 + x) element-wise, accurate for tiny x (torch.log1p).</summary>
    /// <remarks>d/dx ln(1 + x) = 1/(1 + x).</remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Log1p()
    {
        var result = Map<Log1pOp>(this);
        return Record(result, "log1p", [this], g => [g / (this + 1f)]);
    }

    /// <summary>eˣ − 1 element-wise, accurate for tiny x (torch.expm1).</summary>
    /// <remarks>d/dx (eˣ − 1) = eˣ = y + 1: the backward reuses the output y.</remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Expm1()
    {
        var result = Map<Expm1Op>(this);
        return Record(result, "expm1", [this], g => [g * (result + 1f)], Saves.Output);
    }
}
