using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>The smallest element (a zero-dimensional tensor), like torch.amin over every axis.</summary>
    /// <returns>A zero-dimensional tensor of this tensor's dtype.</returns>
    /// <exception cref="ArgumentException">The tensor is empty.</exception>
    public Tensor Min() => Min([], keepDim: false);

    /// <summary>The smallest value along one axis (negative counts from the end), like torch.amin.</summary>
    /// <param name="axis">The axis to reduce; negative counts from the end.</param>
    /// <param name="keepDim">Keep the reduced axis as size 1 instead of removing it.</param>
    /// <returns>A new tensor without the axis (size 1 with <paramref name="keepDim"/>), in this tensor's
    /// dtype.</returns>
    /// <exception cref="ArgumentException">The axis is empty.</exception>
    public Tensor Min(int axis, bool keepDim = false) => Min([axis], keepDim);

    /// <summary>The smallest value over several axes (empty: all), like torch.amin: values only, no indices.</summary>
    /// <remarks>
    /// y = min x over the reduced axes, NaN if any reduced element is NaN. The gradient goes to the elements equal to
    /// the minimum, split evenly between ties as torch.amin does: ∂L/∂x = g·m / Σm with m = [x = y] (y with kept
    /// dimensions, Σ over the reduced axes). <see cref="ArgMin"/> gives the index instead.
    /// </remarks>
    /// <param name="axes">The axes to reduce (empty: all); negative values count from the end.</param>
    /// <param name="keepDim">Keep the reduced axes as size 1 instead of removing them.</param>
    /// <returns>A new tensor without the reduced axes (size 1 with <paramref name="keepDim"/>), in this tensor's
    /// dtype.</returns>
    /// <exception cref="ArgumentException">A reduced axis is empty (a minimum of nothing is undefined).</exception>
    public Tensor Min(int[] axes, bool keepDim = false) => Extreme<MinReduce>(axes, keepDim, "min");
}
