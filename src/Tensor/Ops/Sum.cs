using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>The sum of all elements (a zero-dimensional tensor).</summary>
    /// <returns>A zero-dimensional tensor of this tensor's dtype.</returns>
    public Tensor Sum() => Sum([], keepDim: false);

    /// <summary>The sum over one axis (negative counts from the end).</summary>
    /// <param name="axis">The axis to reduce; negative counts from the end.</param>
    /// <param name="keepDim">Keep the reduced axis as size 1 instead of removing it.</param>
    /// <returns>A new tensor without the axis (size 1 with <paramref name="keepDim"/>), in this tensor's
    /// dtype.</returns>
    public Tensor Sum(int axis, bool keepDim = false) => Sum([axis], keepDim);

    /// <summary>The sum over several axes (empty: all).</summary>
    /// <remarks>∂/∂x = 1: the gradient is broadcast back over the summed axes.</remarks>
    /// <param name="axes">The axes to reduce (empty: all); negative values count from the end.</param>
    /// <param name="keepDim">Keep the reduced axes as size 1 instead of removing them.</param>
    /// <returns>A new tensor without the reduced axes (size 1 with <paramref name="keepDim"/>), in this tensor's
    /// dtype.</returns>
    public Tensor Sum(int[] axes, bool keepDim = false)
    {
        ArgumentNullException.ThrowIfNull(axes);
        int[] normalized = Shapes.NormalizeAxes(axes, Rank);
        var result = Reduce<SumReduce>(this, normalized, keepDim);
        int[] shape = _shape;
        int[] keptShape = Shapes.Reduced(shape, normalized, keepDim: true);
        return Record(result, "sum", [this], g => [g.Reshape(keptShape).Expand(shape)], Saves.Nothing);
    }
}
