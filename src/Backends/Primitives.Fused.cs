using System.Numerics;
using ILGPU;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

internal static partial class Primitives
{
    /// <summary>
    /// Whether <paramref name="device"/> runs a fused row routine (softmax, cross-entropy) well on
    /// <paramref name="rows"/> rows of <paramref name="length"/>; where not, the caller composes it from plain ops.
    /// </summary>
    public static bool FusesRows(Device device, int rows, int length) => device.Executor.FusesRows(rows, length);

    /// <summary>
    /// Fused cross-entropy forward over logits [n, C] (any strides): per row the loss log Σ e^x − x[target] and the
    /// row's maximum and shifted log-sum-exp, 2n values in <paramref name="stats"/>, for
    /// <see cref="CrossEntropyBackward{T, TMath}"/>. Targets are class indices stored as values of T, contiguous [n];
    /// the caller checks their range. One launch: a thread per row for narrow rows, a thread group per row for wide
    /// ones (the choice of <see cref="Reduce{T, TOp}"/>); on the CPU device, rows split across cores, each vectorised.
    /// </summary>
    public static void CrossEntropyRows<T, TMath>(StridedView<T> logits, DeviceBuffer<T> targets, DeviceBuffer<T> loss,
        DeviceBuffer<T> stats, ReduceStrategy strategy = ReduceStrategy.Auto)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        ArgumentNullException.ThrowIfNull(logits);
        var (n, classes) = CrossEntropyShape(logits, targets, "cross-entropy");
        RequireOutput(loss, n, [n], logits.Device, "cross-entropy loss");
        RequireOutput(stats, 2 * n, [n, 2], logits.Device, "cross-entropy row statistics");
        if (n > 0)
        {
            logits.Device.Executor.CrossEntropyRows<T, TMath>(logits, Walks.ReduceShapeOf(logits, [1]), targets.View,
                loss.View, stats.View, strategy);
        }
    }

    /// <summary>
    /// Fused cross-entropy backward: dx = (softmax(x) − one-hot(targets)) · g · <paramref name="scale"/>, with
    /// softmax from the forward's row statistics and g the one element of <paramref name="gradOutput"/> (read on the
    /// device).
    /// </summary>
    public static void CrossEntropyBackward<T, TMath>(StridedView<T> logits, DeviceBuffer<T> targets,
        DeviceBuffer<T> stats, StridedView<T> gradOutput, T scale, DeviceBuffer<T> dx)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(gradOutput);
        var (n, classes) = CrossEntropyShape(logits, targets, "cross-entropy backward");
        RequireOutput(stats, 2 * n, [n, 2], logits.Device, "cross-entropy backward statistics");
        RequireOutput(dx, n * classes, logits.Shape, logits.Device, "cross-entropy backward");
        RequireSameDevice(logits.Device, gradOutput.Device, "cross-entropy backward");
        RequireScalar(gradOutput, "cross-entropy backward");
        if (n > 0)
        {
            logits.Device.Executor.CrossEntropyBackward<T, TMath>(logits, targets.View, stats.View,
                gradOutput.Buffer.View.SubView(gradOutput.Offset, 1), scale, dx.View);
        }
    }

    /// <summary>
    /// Softmax of <paramref name="x"/> along <paramref name="axis"/> (negative counts from the end) into
    /// <paramref name="y"/>, contiguous in x's shape; with <paramref name="log"/>, log-softmax. One launch: a thread
    /// per row for short rows (or rows next to each other in memory), a thread group per row for long ones; on the
    /// CPU device, rows split across cores, each vectorised.
    /// </summary>
    public static void Softmax<T, TMath>(StridedView<T> x, int axis, DeviceBuffer<T> y, bool log = false,
        ReduceStrategy strategy = ReduceStrategy.Auto)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        string what = log ? "log-softmax" : "softmax";
        int[] axes = Shapes.SingleAxis(axis, x.Rank);
        RequireOutput(y, x.Size, x.Shape, x.Device, what);
        if (x.Size > 0)
        {
            x.Device.Executor.Softmax<T, TMath>(x.Buffer.View, Walks.ReduceShapeOf(x, axes), y.View,
                Walks.ReduceShapeOf(StridedView.Contiguous(y, x.Shape), axes), log, strategy);
        }
    }

    /// <summary>
    /// Backward of <see cref="Softmax{T, TMath}"/> from its output <paramref name="y"/> (contiguous) and the incoming
    /// gradient <paramref name="gradOutput"/> (any strides, y's shape) into contiguous <paramref name="dx"/>:
    /// y ⊙ (g − Σ g ⊙ y) along the axis, or for log-softmax g − e^y ⊙ Σ g. One launch, chosen as the forward's.
    /// </summary>
    public static void SoftmaxBackward<T, TMath>(DeviceBuffer<T> y, StridedView<T> gradOutput, int axis,
        DeviceBuffer<T> dx, bool log = false, ReduceStrategy strategy = ReduceStrategy.Auto)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(gradOutput);
        string what = log ? "log-softmax backward" : "softmax backward";
        var shape = gradOutput.Shape;
        int[] axes = Shapes.SingleAxis(axis, shape.Length);
        RequireOutput(y, gradOutput.Size, shape, gradOutput.Device, what);
        RequireOutput(dx, gradOutput.Size, shape, gradOutput.Device, what);
        if (gradOutput.Size > 0)
        {
            y.Device.Executor.SoftmaxBackward<T, TMath>(y.View, gradOutput.Buffer.View,
                Walks.ReduceShapeOf(gradOutput, axes), dx.View,
                Walks.ReduceShapeOf(StridedView.Contiguous(y, shape), axes), log, strategy);
        }
    }

    private static (int Rows, int Classes) CrossEntropyShape<T>(StridedView<T> logits, DeviceBuffer<T> targets,
        string what)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (logits.Rank != 2 || logits.Shape[1] == 0)
        {
            throw new ArgumentException($"{what}: logits must be [n, C] with C ≥ 1, got {Shapes.Format(logits.Shape)}");
        }
        RequireSameDevice(logits.Device, targets.Device, what);
        if (targets.Length != logits.Shape[0])
        {
            throw new ArgumentException(
                $"{what}: {targets.Length} targets for {logits.Shape[0]} rows of logits {Shapes.Format(logits.Shape)}");
        }
        return (logits.Shape[0], logits.Shape[1]);
    }

    /// <summary>
    /// Fused mean-squared-error backward: dx = (prediction − target) · g · <paramref name="scale"/> element-wise, with g
    /// the one element of <paramref name="gradOutput"/> (read on the device). Prediction and target have one shape and
    /// any strides; <paramref name="dx"/> is contiguous with that shape.
    /// </summary>
    public static void MseBackward<T>(StridedView<T> prediction, StridedView<T> target, StridedView<T> gradOutput,
        T scale, DeviceBuffer<T> dx)
        where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(gradOutput);
        var device = prediction.Device;
        RequireSameDevice(device, target.Device, "mse backward");
        RequireSameDevice(device, gradOutput.Device, "mse backward");
        if (!prediction.Shape.AsSpan().SequenceEqual(target.Shape))
        {
            throw new ArgumentException($"mse backward: prediction shape {Shapes.Format(prediction.Shape)} and " +
                                        $"target shape {Shapes.Format(target.Shape)} differ");
        }
        RequireScalar(gradOutput, "mse backward");
        RequireOutput(dx, prediction.Size, prediction.Shape, device, "mse backward");
        if (prediction.Size > 0)
        {
            device.Executor.Zip(prediction, target, dx,
                new MseGradOp<T>(gradOutput.Buffer.View.SubView(gradOutput.Offset, 1), scale));
        }
    }
}
