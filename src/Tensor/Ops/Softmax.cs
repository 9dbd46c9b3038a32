using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// softmax along <paramref name="axis"/> (negative counts from the end): non-negative values that sum to 1 along
    /// it, computed without overflow (torch.softmax).
    /// </summary>
    /// <remarks>
    /// yᵢ = e^(xᵢ − m) / Σⱼ e^(xⱼ − m) with m = max x along the axis (a constant that cancels; it keeps every
    /// exponent ≤ 0). ∂L/∂x = y ⊙ (g − Σ(g ⊙ y)) with the sum along the axis, kept as size 1: built from the output,
    /// so it is itself differentiable.
    /// </remarks>
    public Tensor Softmax(int axis)
    {
        int[] axes = SingleAxis(axis);
        var (shifted, exp, sum) = ShiftedExp(axes);
        var y = Zip<DivOp>(exp, sum, "softmax");
        shifted.Dispose();
        exp.Dispose();
        sum.Dispose();
        return Record(y, "softmax", [this], g => [y * (g - (g * y).Sum(axes, keepDim: true))]);
    }

    /// <summary>
    /// The stable core of softmax and log-softmax, not recorded: s = x − max(x) along the axes, eˢ, and Σ eˢ (kept
    /// dimensions). Subtracting the max keeps every exponent ≤ 0, so nothing overflows.
    /// </summary>
    private (Tensor Shifted, Tensor Exp, Tensor Sum) ShiftedExp(int[] axes)
    {
        using var max = Reduce<MaxReduce>(this, axes, keepDim: true);
        var shifted = Zip<SubOp>(this, max, "softmax");
        var exp = Map<ExpOp>(shifted);
        return (shifted, exp, Reduce<SumReduce>(exp, axes, keepDim: true));
    }

    /// <summary>One normalized axis as a reduction's axis list (none for a zero-dimensional tensor).</summary>
    private int[] SingleAxis(int axis)
    {
        int a = Shapes.NormalizeAxis(axis, Rank);
        return Rank == 0 ? [] : [a];
    }
}
