using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// 1 where this = <paramref name="other"/>, else 0, with broadcasting (torch.eq). Never requires grad.
    /// </summary>
    /// <remarks>
    /// yᵢ = [aᵢ = bᵢ]; a step function, so it is left out of the graph (its derivative is 0 almost everywhere).
    /// </remarks>
    /// <param name="other">The tensor to compare with; broadcasts with this one.</param>
    /// <returns>A float 0/1 tensor of the broadcast shape, in this tensor's dtype.</returns>
    public Tensor Eq(Tensor other) => Compare<EqualOp>(this, other, "eq");

    /// <summary>1 where this = <paramref name="value"/>, else 0. Never requires grad.</summary>
    /// <remarks>yᵢ = [xᵢ = s].</remarks>
    /// <param name="value">The scalar to compare every element with.</param>
    /// <returns>A float 0/1 tensor of this tensor's shape and dtype.</returns>
    public Tensor Eq(float value) => CompareScalar<EqualOp>(this, value, "eq");

    /// <summary>
    /// 1 where this ≠ <paramref name="other"/>, else 0, with broadcasting (torch.ne). Never requires grad.
    /// </summary>
    /// <remarks>yᵢ = [aᵢ ≠ bᵢ] (1 where either side is NaN).</remarks>
    /// <param name="other">The tensor to compare with; broadcasts with this one.</param>
    /// <returns>A float 0/1 tensor of the broadcast shape, in this tensor's dtype.</returns>
    public Tensor Ne(Tensor other) => Compare<NotEqualOp>(this, other, "ne");

    /// <summary>1 where this ≠ <paramref name="value"/>, else 0. Never requires grad.</summary>
    /// <remarks>yᵢ = [xᵢ ≠ s].</remarks>
    /// <param name="value">The scalar to compare every element with.</param>
    /// <returns>A float 0/1 tensor of this tensor's shape and dtype.</returns>
    public Tensor Ne(float value) => CompareScalar<NotEqualOp>(this, value, "ne");

    /// <summary>
    /// 1 where this &gt; <paramref name="other"/>, else 0, with broadcasting (torch.gt). Never requires grad.
    /// </summary>
    /// <remarks>yᵢ = [aᵢ &gt; bᵢ].</remarks>
    /// <param name="other">The tensor to compare with; broadcasts with this one.</param>
    /// <returns>A float 0/1 tensor of the broadcast shape, in this tensor's dtype.</returns>
    public Tensor Gt(Tensor other) => Compare<GreaterOp>(this, other, "gt");

    /// <summary>1 where this &gt; <paramref name="value"/>, else 0. Never requires grad.</summary>
    /// <remarks>yᵢ = [xᵢ &gt; s].</remarks>
    /// <param name="value">The scalar to compare every element with.</param>
    /// <returns>A float 0/1 tensor of this tensor's shape and dtype.</returns>
    public Tensor Gt(float value) => CompareScalar<GreaterOp>(this, value, "gt");

    /// <summary>
    /// 1 where this ≥ <paramref name="other"/>, else 0, with broadcasting (torch.ge). Never requires grad.
    /// </summary>
    /// <remarks>yᵢ = [aᵢ ≥ bᵢ].</remarks>
    /// <param name="other">The tensor to compare with; broadcasts with this one.</param>
    /// <returns>A float 0/1 tensor of the broadcast shape, in this tensor's dtype.</returns>
    public Tensor Ge(Tensor other) => Compare<GreaterEqualOp>(this, other, "ge");

    /// <summary>1 where this ≥ <paramref name="value"/>, else 0. Never requires grad.</summary>
    /// <remarks>yᵢ = [xᵢ ≥ s].</remarks>
    /// <param name="value">The scalar to compare every element with.</param>
    /// <returns>A float 0/1 tensor of this tensor's shape and dtype.</returns>
    public Tensor Ge(float value) => CompareScalar<GreaterEqualOp>(this, value, "ge");

    /// <summary>
    /// 1 where this &lt; <paramref name="other"/>, else 0, with broadcasting (torch.lt). Never requires grad.
    /// </summary>
    /// <remarks>yᵢ = [aᵢ &lt; bᵢ].</remarks>
    /// <param name="other">The tensor to compare with; broadcasts with this one.</param>
    /// <returns>A float 0/1 tensor of the broadcast shape, in this tensor's dtype.</returns>
    public Tensor Lt(Tensor other) => Compare<LessOp>(this, other, "lt");

    /// <summary>1 where this &lt; <paramref name="value"/>, else 0. Never requires grad.</summary>
    /// <remarks>yᵢ = [xᵢ &lt; s].</remarks>
    /// <param name="value">The scalar to compare every element with.</param>
    /// <returns>A float 0/1 tensor of this tensor's shape and dtype.</returns>
    public Tensor Lt(float value) => CompareScalar<LessOp>(this, value, "lt");

    /// <summary>
    /// 1 where this ≤ <paramref name="other"/>, else 0, with broadcasting (torch.le). Never requires grad.
    /// </summary>
    /// <remarks>yᵢ = [aᵢ ≤ bᵢ].</remarks>
    /// <param name="other">The tensor to compare with; broadcasts with this one.</param>
    /// <returns>A float 0/1 tensor of the broadcast shape, in this tensor's dtype.</returns>
    public Tensor Le(Tensor other) => Compare<LessEqualOp>(this, other, "le");

    /// <summary>1 where this ≤ <paramref name="value"/>, else 0. Never requires grad.</summary>
    /// <remarks>yᵢ = [xᵢ ≤ s].</remarks>
    /// <param name="value">The scalar to compare every element with.</param>
    /// <returns>A float 0/1 tensor of this tensor's shape and dtype.</returns>
    public Tensor Le(float value) => CompareScalar<LessEqualOp>(this, value, "le");

    /// <summary>
    /// The element-wise larger of this and <paramref name="other"/>, with broadcasting (torch.maximum).
    /// </summary>
    /// <remarks>
    /// yᵢ = max(aᵢ, bᵢ), NaN if either is NaN. ∂y/∂a = 1 − [a &lt; b] − ½[a = b], ∂y/∂b = 1 − [b &lt; a] − ½[a = b]:
    /// on a tie the gradient is split equally, and where either is NaN both get all of it, as in PyTorch. Each
    /// gradient is summed back to its input's shape.
    /// </remarks>
    /// <param name="other">The other operand; broadcasts with this one.</param>
    /// <returns>A new tensor of the broadcast shape.</returns>
    public Tensor Maximum(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var a = this;
        var result = Zip<MaximumOp>(a, other, "maximum");
        return Record(result, "maximum", [a, other], g => [
            a.RequiresGrad ? SumToShape(g * TieSplitMask(a, other, greater: true), a._shape) : null,
            other.RequiresGrad ? SumToShape(g * TieSplitMask(other, a, greater: true), other._shape) : null,
        ]);
    }

    /// <summary>
    /// The element-wise smaller of this and <paramref name="other"/>, with broadcasting (torch.minimum).
    /// </summary>
    /// <remarks>
    /// yᵢ = min(aᵢ, bᵢ), NaN if either is NaN. ∂y/∂a = 1 − [a &gt; b] − ½[a = b], ∂y/∂b = 1 − [b &gt; a] − ½[a = b]:
    /// on a tie the gradient is split equally, and where either is NaN both get all of it, as in PyTorch. Each
    /// gradient is summed back to its input's shape.
    /// </remarks>
    /// <param name="other">The other operand; broadcasts with this one.</param>
    /// <returns>A new tensor of the broadcast shape.</returns>
    public Tensor Minimum(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var a = this;
        var result = Zip<MinimumOp>(a, other, "minimum");
        return Record(result, "minimum", [a, other], g => [
            a.RequiresGrad ? SumToShape(g * TieSplitMask(a, other, greater: false), a._shape) : null,
            other.RequiresGrad ? SumToShape(g * TieSplitMask(other, a, greater: false), other._shape) : null,
        ]);
    }

    private static Tensor Compare<TOp>(Tensor a, Tensor b, string opName)
        where TOp : struct, IBinaryOp<float>, IBinaryOp<double>
    {
        ArgumentNullException.ThrowIfNull(b);
        return Zip<TOp>(a, b, opName);
    }

    private static Tensor CompareScalar<TOp>(Tensor a, float value, string opName)
        where TOp : struct, IBinaryOp<float>, IBinaryOp<double>
    {
        // A zero-dimensional operand broadcasts, so the tensor-tensor kernel serves the scalar form too.
        using var scalar = Full([], value, a.Device, a.DType);
        return Zip<TOp>(a, scalar, opName);
    }

    /// <summary>
    /// 1 − [x &lt; other] − ½[x = other] (with &gt; when not <paramref name="greater"/>): a constant mask, PyTorch's
    /// rule, under which both sides get the whole gradient where either is NaN (NaN neither loses nor ties).
    /// </summary>
    private static Tensor TieSplitMask(Tensor x, Tensor other, bool greater)
    {
        using var loses = greater ? x.Lt(other) : x.Gt(other);
        using var ties = x.Eq(other);
        using var half = ties * 0.5f;
        using var lost = loses + half;
        return 1f - lost;
    }
}
