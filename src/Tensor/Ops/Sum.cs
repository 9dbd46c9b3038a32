using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>The sum of all elements (a zero-dimensional tensor).</summary>
    public Tensor Sum() => Sum([], keepDim: false);

    /// <summary>The sum over one axis (negative counts from the end).</summary>
    public Tensor Sum(int axis, bool keepDim = false) => Sum([axis], keepDim);

    /// <summary>The sum over several axes (empty: all).</summary>
    /// <remarks>∂/∂x = 1: the gradient is broadcast back over the summed axes.</remarks>
    public Tensor Sum(int[] axes, bool keepDim = false)
    {
        ArgumentNullException.ThrowIfNull(axes);
        int[] normalized = Shapes.NormalizeAxes(axes, Rank);
        var result = Reduce<SumReduce>(this, normalized, keepDim);
        int[] shape = _shape;
        int[] keptShape = Shapes.Reduced(shape, normalized, keepDim: true);
        return Record(result, "sum", [this], g => [g.Reshape(keptShape).Expand(shape)]);
    }
}
