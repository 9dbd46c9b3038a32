using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>Element-wise a · b with broadcasting.</summary>
    /// <remarks>∂/∂a = b, ∂/∂b = a; each gradient is summed back to its input's shape.</remarks>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand; broadcasts with <paramref name="a"/>.</param>
    /// <returns>A new tensor of the broadcast shape.</returns>
    public static Tensor operator *(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var result = Zip<MulOp>(a, b, "mul");
        return Record(result, "mul", [a, b], g => [
            a.RequiresGrad ? SumToShape(g * b, a._shape) : null,
            b.RequiresGrad ? SumToShape(g * a, b._shape) : null,
        ]);
    }

    /// <summary>a · s for a scalar s.</summary>
    /// <remarks>∂/∂a = s.</remarks>
    /// <param name="a">The tensor.</param>
    /// <param name="s">The scalar factor.</param>
    /// <returns>A new tensor of <paramref name="a"/>'s shape and dtype.</returns>
    public static Tensor operator *(Tensor a, float s)
    {
        ArgumentNullException.ThrowIfNull(a);
        return a.Scale(s);
    }

    /// <summary>s · a for a scalar s.</summary>
    /// <param name="s">The scalar factor.</param>
    /// <param name="a">The tensor.</param>
    /// <returns>A new tensor of <paramref name="a"/>'s shape and dtype.</returns>
    public static Tensor operator *(float s, Tensor a) => a * s;

    /// <summary>
    /// a · s with s kept in double: float64 tensors (gradient checks) keep full precision for constants such as 1/n.
    /// </summary>
    /// <remarks>∂/∂a = s.</remarks>
    internal Tensor Scale(double s) =>
        Record(Map(this, new MulScalarOp(s)), "mul", [this], g => [g.Scale(s)], Saves.Nothing);
}
