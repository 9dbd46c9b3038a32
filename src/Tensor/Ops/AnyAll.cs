using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// 1 if any element is nonzero (NaN counts as nonzero), else 0 (torch.any), as a zero-dimensional tensor of this
    /// tensor's float dtype: boolean results are float 0/1 tensors here. 0 for an empty tensor. Never requires grad.
    /// </summary>
    /// <returns>A zero-dimensional 0/1 tensor of this tensor's float dtype.</returns>
    public Tensor Any() => Any([], keepDim: false);

    /// <summary>1 where any element along <paramref name="axis"/> is nonzero, else 0 (float 0/1).</summary>
    /// <param name="axis">The axis to reduce; negative counts from the end.</param>
    /// <param name="keepDim">Keep the reduced axis as size 1 instead of removing it.</param>
    /// <returns>A 0/1 tensor of this tensor's float dtype, without the axis (size 1 with <paramref
    /// name="keepDim"/>).</returns>
    public Tensor Any(int axis, bool keepDim = false) => Any([axis], keepDim);

    /// <summary>1 where any element over <paramref name="axes"/> (empty: all) is nonzero, else 0 (float 0/1).</summary>
    /// <remarks>y = [Σ [x ≠ 0] &gt; 0] over the reduced axes; not differentiable.</remarks>
    /// <param name="axes">The axes to reduce (empty: all); negative values count from the end.</param>
    /// <param name="keepDim">Keep the reduced axes as size 1 instead of removing them.</param>
    /// <returns>A 0/1 tensor of this tensor's float dtype, without the reduced axes (size 1 with <paramref
    /// name="keepDim"/>).</returns>
    public Tensor Any(int[] axes, bool keepDim = false)
    {
        ArgumentNullException.ThrowIfNull(axes);
        using var nonzero = Ne(0f);
        using var count = nonzero.Sum(Shapes.NormalizeAxes(axes, Rank), keepDim);
        return count.Gt(0f);
    }

    /// <summary>
    /// 1 if every element is nonzero (NaN counts as nonzero), else 0 (torch.all), as a zero-dimensional float 0/1
    /// tensor. 1 for an empty tensor. Never requires grad.
    /// </summary>
    /// <returns>A zero-dimensional 0/1 tensor of this tensor's float dtype.</returns>
    public Tensor All() => All([], keepDim: false);

    /// <summary>1 where every element along <paramref name="axis"/> is nonzero, else 0 (float 0/1).</summary>
    /// <param name="axis">The axis to reduce; negative counts from the end.</param>
    /// <param name="keepDim">Keep the reduced axis as size 1 instead of removing it.</param>
    /// <returns>A 0/1 tensor of this tensor's float dtype, without the axis (size 1 with <paramref
    /// name="keepDim"/>).</returns>
    public Tensor All(int axis, bool keepDim = false) => All([axis], keepDim);

    /// <summary>1 where every element over <paramref name="axes"/> (empty: all) is nonzero, else 0 (float 0/1).</summary>
    /// <remarks>y = [Σ [x = 0] = 0] over the reduced axes; not differentiable.</remarks>
    /// <param name="axes">The axes to reduce (empty: all); negative values count from the end.</param>
    /// <param name="keepDim">Keep the reduced axes as size 1 instead of removing them.</param>
    /// <returns>A 0/1 tensor of this tensor's float dtype, without the reduced axes (size 1 with <paramref
    /// name="keepDim"/>).</returns>
    public Tensor All(int[] axes, bool keepDim = false)
    {
        ArgumentNullException.ThrowIfNull(axes);
        using var zero = Eq(0f);
        using var count = zero.Sum(Shapes.NormalizeAxes(axes, Rank), keepDim);
        return count.Eq(0f);
    }
}
