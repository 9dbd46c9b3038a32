using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>log Σ eˣ over all elements (a zero-dimensional tensor), computed without overflow.</summary>
    /// <returns>A zero-dimensional tensor of this tensor's dtype.</returns>
    public Tensor LogSumExp() => LogSumExp([], keepDim: false);

    /// <summary>log Σ eˣ along one axis (negative counts from the end), computed without overflow.</summary>
    /// <param name="axis">The axis to reduce; negative counts from the end.</param>
    /// <param name="keepDim">Keep the reduced axis as size 1 instead of removing it.</param>
    /// <returns>A new tensor without the axis (size 1 with <paramref name="keepDim"/>), in this tensor's
    /// dtype.</returns>
    public Tensor LogSumExp(int axis, bool keepDim = false) => LogSumExp([axis], keepDim);

    /// <summary>log Σ eˣ over several axes (empty: all), computed without overflow (torch.logsumexp).</summary>
    /// <remarks>
    /// y = m + log Σ e^(x − m) with m = max x over the reduced axes (a constant; an infinite m is replaced by 0, as
    /// PyTorch does, so all −∞ gives −∞ and a +∞ gives +∞ instead of NaN). An empty reduction gives −∞.
    /// ∂y/∂x = e^(x − y) = softmax(x) over the reduced axes: the gradient is g·e^(x − y), built from the output, so
    /// it is itself differentiable.
    /// </remarks>
    /// <param name="axes">The axes to reduce (empty: all); negative values count from the end.</param>
    /// <param name="keepDim">Keep the reduced axes as size 1 instead of removing them.</param>
    /// <returns>A new tensor without the reduced axes (size 1 with <paramref name="keepDim"/>), in this tensor's
    /// dtype.</returns>
    public Tensor LogSumExp(int[] axes, bool keepDim = false)
    {
        ArgumentNullException.ThrowIfNull(axes);
        int[] normalized = Shapes.NormalizeAxes(axes, Rank);
        int[] keptShape = Shapes.Reduced(_shape, normalized, keepDim: true);
        int[] outShape = Shapes.Reduced(_shape, normalized, keepDim);
        Tensor result;
        using (var rawMax = Reduce<MaxReduce>(this, normalized, keepDim: true))
        using (var max = Map<FiniteOrZeroOp>(rawMax))
        using (var shifted = Zip<SubOp>(this, max, "logsumexp"))
        using (var exp = Map<ExpOp>(shifted))
        using (var sum = Reduce<SumReduce>(exp, normalized, keepDim))
        using (var logSum = Map<LogOp>(sum))
        using (var shift = max.View(outShape, Shapes.ContiguousStrides(outShape), 0))
        {
            result = Zip<AddOp>(logSum, shift, "logsumexp");
        }
        return Record(result, "logsumexp", [this],
            g => [g.Reshape(keptShape) * (this - result.Reshape(keptShape)).Exp()]);
    }
}
