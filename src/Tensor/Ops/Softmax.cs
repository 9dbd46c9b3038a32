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
    /// exponent ≤ 0). ∂L/∂x = y ⊙ (g − Σ(g ⊙ y)) with the sum along the axis. Fused: one launch forward (a thread per
    /// short row, a thread group per long one) and one backward, from the output — or, when a graph of the backward
    /// is being built (higher-order gradients), the same formula in differentiable ops. On GPUs, a few rows longer
    /// than the executor takes well go through plain ops instead, whose reductions spread each row over the
    /// whole device (a group per row would leave it idle).
    /// </remarks>
    /// <param name="axis">The axis to normalize along; negative counts from the end.</param>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Softmax(int axis)
    {
        bool fused = FusesSoftmax(axis);
        var y = fused ? FusedSoftmax(this, axis, log: false) : ComposedSoftmax(this, axis, log: false);
        return Record(y, "softmax", [this], g => [
            Autograd.IsGradEnabled || !fused
                ? y * (g - (g * y).Sum(Shapes.SingleAxis(axis, Rank), keepDim: true))
                : FusedSoftmaxBackward(y, g, axis, log: false),
        ], Saves.Output);
    }

    /// <summary>
    /// Whether softmax along <paramref name="axis"/> runs fused, as the device's executor judges the rows
    /// (<see cref="Primitives.FusesRows"/>: on GPUs, not a few very long rows).
    /// </summary>
    private bool FusesSoftmax(int axis)
    {
        int[] axes = Shapes.SingleAxis(axis, Rank);
        if (axes.Length == 0 || Size == 0)
        {
            return true;
        }
        int length = _shape[axes[0]];
        return Primitives.FusesRows(Device, Size / length, length);
    }

    /// <summary>
    /// Softmax or log-softmax of <paramref name="x"/> in plain ops, not recorded: s = x − max x along the axis, then
    /// eˢ / Σ eˢ or s − ln Σ eˢ.
    /// </summary>
    private static Tensor ComposedSoftmax(Tensor x, int axis, bool log)
    {
        int[] axes = Shapes.SingleAxis(axis, x.Rank);
        using var max = Reduce<MaxReduce>(x, axes, keepDim: true);
        using var shifted = Zip<SubOp>(x, max, "softmax");
        using var exp = Map<ExpOp>(shifted);
        using var sum = Reduce<SumReduce>(exp, axes, keepDim: true);
        if (!log)
        {
            return Zip<DivOp>(exp, sum, "softmax");
        }
        using var logSum = Map<LogOp>(sum);
        return Zip<SubOp>(shifted, logSum, "log_softmax");
    }
}
