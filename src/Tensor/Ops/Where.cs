using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// aᵢ where conditionᵢ is true, else bᵢ, with broadcasting over all three (torch.where). A condition is a float
    /// tensor read as a mask: nonzero (NaN included) is true, 0 is false — what the comparisons (<see cref="Gt(Tensor)"/>
    /// and its kin) and the predicates (<see cref="IsNan"/>, …) return.
    /// </summary>
    /// <remarks>
    /// y = [c ≠ 0]·a + [c = 0]·b, each half a select (so an ∞ or NaN in the branch not taken does not leak in).
    /// ∂y/∂a = [c ≠ 0], ∂y/∂b = [c = 0], selected the same way and summed back to each input's shape; the condition
    /// gets no gradient.
    /// </remarks>
    /// <param name="condition">The mask: nonzero (NaN included) selects <paramref name="a"/>.</param>
    /// <param name="a">The values where the condition holds.</param>
    /// <param name="b">The values elsewhere.</param>
    /// <returns>A new tensor of the shape the three broadcast to.</returns>
    /// <exception cref="ArgumentException">The shapes do not broadcast, or devices or dtypes differ.</exception>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        CheckCompatible(a, b, "where");
        CheckCompatible(condition, a, "where");
        // Check the three-way broadcast up front, so the error names all three shapes.
        try
        {
            Shapes.Broadcast(Shapes.Broadcast(condition._shape, a._shape), b._shape);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException(
                $"where: condition {Shapes.Format(condition._shape)}, a {Shapes.Format(a._shape)} and b " +
                $"{Shapes.Format(b._shape)} do not broadcast together", e);
        }
        return KeepWhere(condition, a, keep: true) + KeepWhere(condition, b, keep: false);
    }

    /// <summary>aᵢ where conditionᵢ is nonzero, else the scalar <paramref name="b"/> (see <see cref="Where(Tensor, Tensor, Tensor)"/>).</summary>
    /// <remarks>∂y/∂a = [c ≠ 0].</remarks>
    /// <param name="condition">The mask: nonzero selects <paramref name="a"/>.</param>
    /// <param name="a">The values where the condition holds.</param>
    /// <param name="b">The value elsewhere.</param>
    /// <returns>A new tensor of the shape the condition and <paramref name="a"/> broadcast to.</returns>
    public static Tensor Where(Tensor condition, Tensor a, float b)
    {
        ArgumentNullException.ThrowIfNull(a);
        using var scalar = Full([], b, a.Device, a.DType);
        return Where(condition, a, scalar);
    }

    /// <summary>The scalar <paramref name="a"/> where conditionᵢ is nonzero, else bᵢ (see <see cref="Where(Tensor, Tensor, Tensor)"/>).</summary>
    /// <remarks>∂y/∂b = [c = 0].</remarks>
    /// <param name="condition">The mask: nonzero selects <paramref name="a"/>.</param>
    /// <param name="a">The value where the condition holds.</param>
    /// <param name="b">The values elsewhere.</param>
    /// <returns>A new tensor of the shape the condition and <paramref name="b"/> broadcast to.</returns>
    public static Tensor Where(Tensor condition, float a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(b);
        using var scalar = Full([], a, b.Device, b.DType);
        return Where(condition, scalar, b);
    }

    /// <summary>
    /// <paramref name="a"/> where conditionᵢ is nonzero, else <paramref name="b"/>: a tensor of the condition's shape,
    /// device and dtype (see <see cref="Where(Tensor, Tensor, Tensor)"/>). Never requires grad.
    /// </summary>
    /// <param name="condition">The mask: nonzero selects <paramref name="a"/>.</param>
    /// <param name="a">The value where the condition holds.</param>
    /// <param name="b">The value elsewhere.</param>
    /// <returns>A new tensor of the condition's shape, device and dtype.</returns>
    public static Tensor Where(Tensor condition, float a, float b)
    {
        ArgumentNullException.ThrowIfNull(condition);
        using var sa = Full([], a, condition.Device, condition.DType);
        using var sb = Full([], b, condition.Device, condition.DType);
        return Where(condition, sa, sb);
    }

    /// <summary>
    /// This tensor with <paramref name="value"/> written where <paramref name="mask"/> is nonzero (torch.masked_fill).
    /// The mask is a float 0/1 tensor (nonzero is true) that broadcasts to this tensor's shape; the result has this
    /// tensor's shape.
    /// </summary>
    /// <remarks>y = where(mask, value, x); ∂y/∂x = [mask = 0].</remarks>
    /// <param name="mask">A float 0/1 tensor that broadcasts to this tensor's shape; nonzero marks where to
    /// write.</param>
    /// <param name="value">The value written.</param>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    /// <exception cref="ArgumentException">The mask does not broadcast to this tensor's shape.</exception>
    public Tensor MaskedFill(Tensor mask, float value)
    {
        ArgumentNullException.ThrowIfNull(mask);
        int[]? shape = null;
        try
        {
            shape = Shapes.Broadcast(mask._shape, _shape);
        }
        catch (ArgumentException)
        {
        }
        if (shape is null || !shape.AsSpan().SequenceEqual(_shape))
        {
            throw new ArgumentException(
                $"masked_fill: mask of shape {Shapes.Format(mask._shape)} does not broadcast to the tensor's shape " +
                $"{Shapes.Format(_shape)}", nameof(mask));
        }
        return Where(mask, value, this);
    }

    /// <summary>
    /// x where the condition is nonzero (<paramref name="keep"/>) or zero (not <paramref name="keep"/>), else 0: half
    /// of a select. Differentiable in x (the same select of the gradient, summed back to x's shape); the condition is
    /// a constant.
    /// </summary>
    internal static Tensor KeepWhere(Tensor condition, Tensor x, bool keep)
    {
        var result = keep ? Zip<KeepWhereOp>(condition, x, "where") : Zip<KeepWhereNotOp>(condition, x, "where");
        return Record(result, "where", [x], g => [SumToShape(KeepWhere(condition, g, keep), x._shape)], Saves.Nothing);
    }
}
