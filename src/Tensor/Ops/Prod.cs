using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>The product of all elements (a zero-dimensional tensor; 1 for an empty tensor), like torch.prod.</summary>
    /// <returns>A zero-dimensional tensor of this tensor's dtype.</returns>
    public Tensor Prod() => Prod([], keepDim: false);

    /// <summary>The product over one axis (negative counts from the end).</summary>
    /// <param name="axis">The axis to reduce; negative counts from the end.</param>
    /// <param name="keepDim">Keep the reduced axis as size 1 instead of removing it.</param>
    /// <returns>A new tensor without the axis (size 1 with <paramref name="keepDim"/>), in this tensor's
    /// dtype.</returns>
    public Tensor Prod(int axis, bool keepDim = false) => Prod([axis], keepDim);

    /// <summary>The product over several axes (empty: all).</summary>
    /// <remarks>
    /// y = Π x over the reduced axes. ∂y/∂xᵢ = Gᵢ = Π_{j≠i} xⱼ, which stays right where elements are zero. With z the
    /// number of zeros in xᵢ's group, x̃ = x with its zeros replaced by 1, P̃ = Πx̃ and S = the sum of the group's zero
    /// elements (0 in value, but a function of them): G = P̃/x̃ where z = 0; P̃·([xᵢ = 0] + [xᵢ ≠ 0]·S/x̃ᵢ) where
    /// z = 1; [xᵢ = 0]·P̃·(S − xᵢ) where z = 2; 0 where z ≥ 3. The S terms are 0 in value and carry the second
    /// derivative ∂²y/∂xᵢ∂xⱼ = Π_{k≠i,j} xₖ through a zero, so the rule, built from recorded ops, is differentiable
    /// again with the right Hessian.
    /// </remarks>
    /// <param name="axes">The axes to reduce (empty: all); negative values count from the end.</param>
    /// <param name="keepDim">Keep the reduced axes as size 1 instead of removing them.</param>
    /// <returns>A new tensor without the reduced axes (size 1 with <paramref name="keepDim"/>), in this tensor's
    /// dtype.</returns>
    public Tensor Prod(int[] axes, bool keepDim = false)
    {
        ArgumentNullException.ThrowIfNull(axes);
        int[] normalized = Shapes.NormalizeAxes(axes, Rank);
        var result = Reduce<ProdReduce>(this, normalized, keepDim);
        int[] keptShape = Shapes.Reduced(_shape, normalized, keepDim: true);
        return Record(result, "prod", [this], g =>
        {
            // The masks and counts are constants; x̃, P̃ and S are recorded, so the rule is differentiable.
            var isZero = Eq(0f);
            var zeros = isZero.Sum(normalized, keepDim: true);
            // x̃ takes its 1s by a select, so it does not depend on the zeros it replaces.
            var safe = KeepWhere(isZero, this, keep: false) + isZero;
            var others = safe.Prod(normalized, keepDim: true);
            var zeroSum = (this * isZero).Sum(normalized, keepDim: true);
            var none = others / safe * zeros.Eq(0f);
            var one = others * (isZero + (1f - isZero) * zeroSum / safe) * zeros.Eq(1f);
            var two = isZero * others * (zeroSum - this) * zeros.Eq(2f);
            return [g.Reshape(keptShape) * (none + one + two)];
        });
    }
}
