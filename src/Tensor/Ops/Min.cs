using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>The smallest element (a zero-dimensional tensor), like torch.amin over every axis.</summary>
    /// <exception cref="ArgumentException">The tensor is empty.</exception>
    public Tensor Min() => Min([], keepDim: false);

    /// <summary>The smallest value along one axis (negative counts from the end), like torch.amin.</summary>
    /// <exception cref="ArgumentException">The axis is empty.</exception>
    public Tensor Min(int axis, bool keepDim = false) => Min([axis], keepDim);

    /// <summary>The smallest value over several axes (empty: all), like torch.amin: values only, no indices.</summary>
    /// <remarks>
    /// y = min x over the reduced axes, NaN if any reduced element is NaN. The gradient goes to the elements equal to
    /// the minimum, split evenly between ties as torch.amin does: ∂L/∂x = g·m / Σm with m = [x = y] (y with kept
    /// dimensions, Σ over the reduced axes). <see cref="ArgMin"/> gives the index instead.
    /// </remarks>
    /// <exception cref="ArgumentException">A reduced axis is empty (a minimum of nothing is undefined).</exception>
    public Tensor Min(int[] axes, bool keepDim = false) => Extreme<MinReduce>(axes, keepDim, "min");
}
