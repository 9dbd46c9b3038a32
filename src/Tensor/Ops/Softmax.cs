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
    /// than <see cref="FusedSoftmaxMaxRow"/> go through plain ops instead, whose reductions spread each row over the
    /// whole device (a group per row would leave it idle).
    /// </remarks>
    public Tensor Softmax(int axis)
    {
        bool fused = FusesSoftmax(axis);
        var y = fused ? FusedSoftmax(this, axis, log: false) : ComposedSoftmax(this, axis, log: false);
        return Record(y, "softmax", [this], g => [
            Autograd.IsGradEnabled || !fused
                ? y * (g - (g * y).Sum(Shapes.SingleAxis(axis, Rank), keepDim: true))
                : FusedSoftmaxBackward(y, g, axis, log: false),
        ]);
    }

    /// <summary>The longest rows the fused softmax takes on GPUs when rows are fewer than multiprocessors.</summary>
    internal const int FusedSoftmaxMaxRow = 16384;

    /// <summary>
    /// Whether softmax along <paramref name="axis"/> runs fused: always on the CPU device, and on GPUs unless a few
    /// rows (fewer than the multiprocessors) are each longer than <see cref="FusedSoftmaxMaxRow"/>: a thread group
    /// would walk each of them alone while most of the device idles.
    /// </summary>
    private bool FusesSoftmax(int axis)
    {
        int[] axes = Shapes.SingleAxis(axis, Rank);
        if (Device.Kind == DeviceKind.Cpu || axes.Length == 0 || Size == 0)
        {
            return true;
        }
        int length = _shape[axes[0]];
        return length <= FusedSoftmaxMaxRow || Size / length >= Device.Multiprocessors;
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

    /// <summary>Softmax or log-softmax of <paramref name="x"/> along the axis in one launch, not recorded.</summary>
    private static Tensor FusedSoftmax(Tensor x, int axis, bool log)
    {
        var y = Empty(x._shape, x.DType, x.Device);
        if (x.DType == DType.Float32)
        {
            Primitives.Softmax<float, ScalarMath>(x.F32, axis, y.Storage.Float32!, log);
        }
        else
        {
            Primitives.Softmax<double, ScalarMath>(x.F64, axis, y.Storage.Float64!, log);
        }
        return y;
    }

    /// <summary>The gradient of <see cref="FusedSoftmax"/> from its output y and the incoming gradient g.</summary>
    private static Tensor FusedSoftmaxBackward(Tensor y, Tensor g, int axis, bool log)
    {
        var dx = Empty(y._shape, y.DType, y.Device);
        if (y.DType == DType.Float32)
        {
            Primitives.SoftmaxBackward<float, ScalarMath>(y.Storage.Float32!, g.F32, axis, dx.Storage.Float32!, log);
        }
        else
        {
            Primitives.SoftmaxBackward<double, ScalarMath>(y.Storage.Float64!, g.F64, axis, dx.Storage.Float64!, log);
        }
        return dx;
    }
}
