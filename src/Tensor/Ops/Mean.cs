using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>The mean of all elements (a zero-dimensional tensor; NaN for an empty tensor, as in PyTorch).</summary>
    /// <returns>A zero-dimensional tensor of this tensor's dtype.</returns>
    public Tensor Mean() => Mean([], keepDim: false);

    /// <summary>The mean over one axis (negative counts from the end).</summary>
    /// <param name="axis">The axis to reduce; negative counts from the end.</param>
    /// <param name="keepDim">Keep the reduced axis as size 1 instead of removing it.</param>
    /// <returns>A new tensor without the axis (size 1 with <paramref name="keepDim"/>), in this tensor's
    /// dtype.</returns>
    public Tensor Mean(int axis, bool keepDim = false) => Mean([axis], keepDim);

    /// <summary>The mean over several axes (empty: all).</summary>
    /// <remarks>
    /// y = (1/n)·Σ x over the reduced axes, n the number of elements reduced into each output (one kernel: a sum with
    /// scale 1/n). ∂y/∂x = 1/n: the gradient g/n is broadcast back over the reduced axes.
    /// </remarks>
    /// <param name="axes">The axes to reduce (empty: all); negative values count from the end.</param>
    /// <param name="keepDim">Keep the reduced axes as size 1 instead of removing them.</param>
    /// <returns>A new tensor without the reduced axes (size 1 with <paramref name="keepDim"/>), in this tensor's
    /// dtype.</returns>
    public Tensor Mean(int[] axes, bool keepDim = false)
    {
        ArgumentNullException.ThrowIfNull(axes);
        int[] normalized = Shapes.NormalizeAxes(axes, Rank);
        int[] shape = _shape;
        int[] keptShape = Shapes.Reduced(shape, normalized, keepDim: true);
        int count = 1;
        foreach (int a in normalized)
        {
            count *= a < Rank ? shape[a] : 1;
        }
        var result = Reduce<SumReduce>(this, normalized, keepDim, 1d / count);
        return Record(result, "mean", [this], g => [g.Scale(1d / count).Reshape(keptShape).Expand(shape)],
            Saves.Nothing);
    }
}
