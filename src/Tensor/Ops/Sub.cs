using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>Element-wise a − b with broadcasting.</summary>
    /// <remarks>∂/∂a = 1, ∂/∂b = −1; each gradient is summed back to its input's shape.</remarks>
    public static Tensor operator -(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var result = Zip<SubOp>(a, b, "sub");
        int[] aShape = a._shape, bShape = b._shape;
        return Record(result, "sub", [a, b], g => [SumToShape(g, aShape), b.RequiresGrad ? SumToShape(-g, bShape) : null]);
    }

    /// <summary>a − s for a scalar s.</summary>
    public static Tensor operator -(Tensor a, float s) => a + (-s);

    /// <summary>s − a for a scalar s: (−a) + s.</summary>
    public static Tensor operator -(float s, Tensor a) => -a + s;
}
