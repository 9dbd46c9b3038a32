using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>Element-wise a / b with broadcasting.</summary>
    /// <remarks>∂/∂a = 1/b, ∂/∂b = −a/b²; each gradient is summed back to its input's shape.</remarks>
    /// <param name="a">The dividend.</param>
    /// <param name="b">The divisor; broadcasts with <paramref name="a"/>.</param>
    /// <returns>A new tensor of the broadcast shape.</returns>
    public static Tensor operator /(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var result = Zip<DivOp>(a, b, "div");
        return Record(result, "div", [a, b], g => [
            a.RequiresGrad ? SumToShape(g / b, a._shape) : null,
            b.RequiresGrad ? SumToShape(-g * a / (b * b), b._shape) : null,
        ]);
    }

    /// <summary>a / s for a scalar s: a true division, as in PyTorch (1/s overflows for |s| below 2.9e-39).</summary>
    /// <remarks>d/da (a/s) = 1/s, applied as g/s.</remarks>
    /// <param name="a">The dividend.</param>
    /// <param name="s">The scalar divisor.</param>
    /// <returns>A new tensor of <paramref name="a"/>'s shape and dtype.</returns>
    public static Tensor operator /(Tensor a, float s)
    {
        ArgumentNullException.ThrowIfNull(a);
        var result = Map(a, new DivScalarOp(s));
        return Record(result, "div", [a], g => [g / s], Saves.Nothing);
    }

    /// <summary>s / a for a scalar s.</summary>
    /// <remarks>d/da (s/a) = −s/a².</remarks>
    /// <param name="s">The scalar dividend.</param>
    /// <param name="a">The divisor.</param>
    /// <returns>A new tensor of <paramref name="a"/>'s shape and dtype.</returns>
    public static Tensor operator /(float s, Tensor a)
    {
        ArgumentNullException.ThrowIfNull(a);
        var result = Map(a, new ScalarDivOp(s));
        return Record(result, "rdiv", [a], g => [-g * s / (a * a)]);
    }
}
