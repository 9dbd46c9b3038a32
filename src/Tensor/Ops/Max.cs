using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>The largest element (a zero-dimensional tensor), like torch.amax over every axis.</summary>
    /// <returns>A zero-dimensional tensor of this tensor's dtype.</returns>
    /// <exception cref="ArgumentException">The tensor is empty.</exception>
    public Tensor Max() => Max([], keepDim: false);

    /// <summary>The largest value along one axis (negative counts from the end), like torch.amax.</summary>
    /// <param name="axis">The axis to reduce; negative counts from the end.</param>
    /// <param name="keepDim">Keep the reduced axis as size 1 instead of removing it.</param>
    /// <returns>A new tensor without the axis (size 1 with <paramref name="keepDim"/>), in this tensor's
    /// dtype.</returns>
    /// <exception cref="ArgumentException">The axis is empty.</exception>
    public Tensor Max(int axis, bool keepDim = false) => Max([axis], keepDim);

    /// <summary>The largest value over several axes (empty: all), like torch.amax: values only, no indices.</summary>
    /// <remarks>
    /// y = max x over the reduced axes, NaN if any reduced element is NaN. The gradient goes to the elements equal to
    /// the maximum, split evenly between ties as torch.amax does: ∂L/∂x = g·m / Σm with m = [x = y] (y with kept
    /// dimensions, Σ over the reduced axes). <see cref="ArgMax"/> gives the index instead.
    /// </remarks>
    /// <param name="axes">The axes to reduce (empty: all); negative values count from the end.</param>
    /// <param name="keepDim">Keep the reduced axes as size 1 instead of removing them.</param>
    /// <returns>A new tensor without the reduced axes (size 1 with <paramref name="keepDim"/>), in this tensor's
    /// dtype.</returns>
    /// <exception cref="ArgumentException">A reduced axis is empty (a maximum of nothing is undefined).</exception>
    public Tensor Max(int[] axes, bool keepDim = false) => Extreme<MaxReduce>(axes, keepDim, "max");


    /// <summary>
    /// amax/amin over normalized axes with the tie-splitting backward; <see cref="Min(int[], bool)"/> shares it.
    /// </summary>
    private Tensor Extreme<TOp>(int[] axes, bool keepDim, string opName)
        where TOp : struct, IReduceOp<float>, IReduceOp<double>
    {
        ArgumentNullException.ThrowIfNull(axes);
        int[] normalized = Shapes.NormalizeAxes(axes, Rank);
        foreach (int a in normalized)
        {
            if (a < Rank && _shape[a] == 0)
            {
                throw new ArgumentException(
                    $"{opName} over axis {a} of shape {Shapes.Format(_shape)}: the axis is empty, and a reduction " +
                    "with no identity needs at least one element");
            }
        }
        var result = Reduce<TOp>(this, normalized, keepDim);
        int[] keptShape = Shapes.Reduced(_shape, normalized, keepDim: true);
        return Record(result, opName, [this], g =>
        {
            // The winners' mask and their count are constants: the maximum is piecewise the identity of one input.
            using var extreme = result.View(keptShape, Shapes.ContiguousStrides(keptShape), result.Offset);
            using var mask = Eq(extreme);
            using var count = mask.Sum(normalized, keepDim: true);
            // Not disposed: under createGraph the product below keeps it for its own backward.
            var share = mask / count;
            return [g.Reshape(keptShape) * share];
        });
    }
}
