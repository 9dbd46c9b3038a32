using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>−a.</summary>
    /// <remarks>∂/∂a = −1.</remarks>
    public static Tensor operator -(Tensor a)
    {
        ArgumentNullException.ThrowIfNull(a);
        return Record(Map<NegOp>(a), "neg", [a], g => [-g]);
    }
}
