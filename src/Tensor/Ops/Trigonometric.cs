using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>sin x element-wise (radians).</summary>
    /// <remarks>d/dx sin x = cos x.</remarks>
    public Tensor Sin()
    {
        var result = Map<SinOp>(this);
        return Record(result, "sin", [this], g => [g * Cos()]);
    }

    /// <summary>cos x element-wise (radians).</summary>
    /// <remarks>d/dx cos x = −sin x.</remarks>
    public Tensor Cos()
    {
        var result = Map<CosOp>(this);
        return Record(result, "cos", [this], g => [-g * Sin()]);
    }
}
