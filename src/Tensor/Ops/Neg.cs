using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>−a.</summary>
    /// <remarks>∂/∂a = −1.</remarks>
    /// <param name="a">The tensor to negate.</param>
    /// <returns>A new tensor of <paramref name="a"/>'s shape and dtype.</returns>
    public static Tensor operator -(Tensor a)
    {
        ArgumentNullException.ThrowIfNull(a);
        return Record(Map<NegOp>(a), "neg", [a], g => [-g], Saves.Nothing);
    }
}
