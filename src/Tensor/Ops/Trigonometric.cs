using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>sin x element-wise (radians).</summary>
    /// <remarks>d/dx sin x = cos x.</remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Sin()
    {
        var result = Map<SinOp>(this);
        return Record(result, "sin", [this], g => [g * Cos()]);
    }

    /// <summary>cos x element-wise (radians).</summary>
    /// <remarks>d/dx cos x = −sin x.</remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Cos()
    {
        var result = Map<CosOp>(this);
        return Record(result, "cos", [this], g => [-g * Sin()]);
    }
}
