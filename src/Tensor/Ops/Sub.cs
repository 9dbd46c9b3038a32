using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>Element-wise a − b with broadcasting.</summary>
    /// <remarks>∂/∂a = 1, ∂/∂b = −1; each gradient is summed back to its input's shape.</remarks>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand; broadcasts with <paramref name="a"/>.</param>
    /// <returns>A new tensor of the broadcast shape.</returns>
    public static Tensor operator -(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var result = Zip<SubOp>(a, b, "sub");
        int[] aShape = a._shape, bShape = b._shape;
        return Record(result, "sub", [a, b],
            g => [SumToShape(g, aShape), b.RequiresGrad ? SumToShape(-g, bShape) : null], Saves.Nothing);
    }

    /// <summary>a − s for a scalar s.</summary>
    /// <param name="a">The tensor.</param>
    /// <param name="s">The scalar subtracted from every element.</param>
    /// <returns>A new tensor of <paramref name="a"/>'s shape and dtype.</returns>
    public static Tensor operator -(Tensor a, float s) => a + (-s);

    /// <summary>s − a for a scalar s: (−a) + s.</summary>
    /// <param name="s">The scalar.</param>
    /// <param name="a">The tensor subtracted from it.</param>
    /// <returns>A new tensor of <paramref name="a"/>'s shape and dtype.</returns>
    public static Tensor operator -(float s, Tensor a) => -a + s;
}
