using ILGPU;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

/// <summary>
/// What <see cref="Device.Executor"/> is while a step is being captured: each launch is kept, with its operands held
/// for the replays, as a call to <paramref name="inner"/> (the device's own executor); nothing runs now. Replaying the
/// calls in order does what the step did, without the tensor layer: no graph, no scope, no validation.
/// </summary>
internal sealed class RecordingExecutor(Device device, Executor inner, StepRecording recording) : Executor(device)
{
    /// <inheritdoc/>
    public override void Run<TBody>(TBody body, int length)
    {
        if (body is IRandomBody)
        {
            throw recording.Refuse("random numbers (Rand, Randn, Dropout) drawn in the step would be the same on " +
                                   "every replay: draw them outside the captured step");
        }
        recording.HoldViewsOf(body);
        recording.Record(() => inner.Run(body, length));
    }

    /// <inheritdoc/>
    public override void Map<T, TOp>(StridedView<T> x, DeviceBuffer<T> y, TOp op)
    {
        var (xs, ys) = (recording.Hold(x), recording.Hold(y));
        recording.Record(() => inner.Map(xs, ys, op));
    }

    /// <inheritdoc/>
    public override void Zip<T, TOp>(StridedView<T> a, StridedView<T> b, DeviceBuffer<T> c, TOp op)
    {
        var (av, bv, cv) = (recording.Hold(a), recording.Hold(b), recording.Hold(c));
        recording.Record(() => inner.Zip(av, bv, cv, op));
    }

    /// <inheritdoc/>
    public override void Copy<T>(StridedView<T> source, StridedView<T> destination)
    {
        var (from, to) = (recording.Hold(source), recording.Hold(destination));
        recording.Record(() => inner.Copy(from, to));
    }

    /// <inheritdoc/>
    public override void Reduce<T, TOp>(StridedView<T> x, ReduceShape shape, DeviceBuffer<T> y, T scale,
        ReduceStrategy strategy, TOp op)
    {
        var (xs, ys) = (recording.Hold(x), recording.Hold(y));
        recording.Record(() => inner.Reduce(xs, shape, ys, scale, strategy, op));
    }

    /// <inheritdoc/>
    public override void MatMul<T, TAct>(MatMulOperands<T> m, MatMulKernel kernel)
    {
        recording.Hold(m.BiasView);
        var held = m with
        {
            A = recording.Hold(m.A),
            B = recording.Hold(m.B),
            C = recording.Hold(m.C),
            Bias = m.Bias is { } bias ? recording.Hold(bias) : null,
        };
        recording.Record(() => inner.MatMul<T, TAct>(held, kernel));
    }

    /// <inheritdoc/>
    public override void Softmax<T, TMath>(ArrayView<T> x, ReduceShape xShape, ArrayView<T> y, ReduceShape yShape,
        bool log, ReduceStrategy strategy)
    {
        Hold(x, y);
        recording.Record(() => inner.Softmax<T, TMath>(x, xShape, y, yShape, log, strategy));
    }

    /// <inheritdoc/>
    public override void SoftmaxBackward<T, TMath>(ArrayView<T> y, ArrayView<T> g, ReduceShape gShape,
        ArrayView<T> dx, ReduceShape yShape, bool log, ReduceStrategy strategy)
    {
        Hold(y, g, dx);
        recording.Record(() => inner.SoftmaxBackward<T, TMath>(y, g, gShape, dx, yShape, log, strategy));
    }

    /// <inheritdoc/>
    public override void CrossEntropyRows<T, TMath>(StridedView<T> logits, ReduceShape rows, ArrayView<T> targets,
        ArrayView<T> loss, ArrayView<T> stats, ReduceStrategy strategy)
    {
        var held = recording.Hold(logits);
        Hold(targets, loss, stats);
        recording.Record(() => inner.CrossEntropyRows<T, TMath>(held, rows, targets, loss, stats, strategy));
    }

    /// <inheritdoc/>
    public override void CrossEntropyBackward<T, TMath>(StridedView<T> logits, ArrayView<T> targets,
        ArrayView<T> stats, ArrayView<T> gradOutput, T scale, ArrayView<T> dx)
    {
        var held = recording.Hold(logits);
        Hold(targets, stats, gradOutput, dx);
        recording.Record(() => inner.CrossEntropyBackward<T, TMath>(held, targets, stats, gradOutput, scale, dx));
    }

    /// <inheritdoc/>
    public override void LayerNorm<T, TMath>(ArrayView<T> x, ArrayView<T> weight, ArrayView<T> bias, ArrayView<T> y,
        ArrayView<T> stats, int rows, int count, T eps, bool affine)
    {
        Hold(x, weight, bias, y, stats);
        recording.Record(() => inner.LayerNorm<T, TMath>(x, weight, bias, y, stats, rows, count, eps, affine));
    }

    /// <inheritdoc/>
    public override void LayerNormBackward<T, TMath>(ArrayView<T> x, ArrayView<T> stats, ArrayView<T> g,
        ArrayView<T> weight, ArrayView<T> dx, ArrayView<T> gradXHat, int rows, int count, bool affine)
    {
        Hold(x, stats, g, weight, dx, gradXHat);
        recording.Record(() =>
            inner.LayerNormBackward<T, TMath>(x, stats, g, weight, dx, gradXHat, rows, count, affine));
    }

    /// <inheritdoc/>
    public override bool FusesRows(int rows, int length) => inner.FusesRows(rows, length);

    /// <inheritdoc/>
    public override void Sgd(IReadOnlyList<Slice<SgdUpdate>> group, int total) =>
        throw recording.Refuse("an SGD update outside an optimizer's Step() would repeat its first-step settings");

    /// <inheritdoc/>
    public override void Adam(IReadOnlyList<Slice<AdamUpdate>> group, int total) =>
        throw recording.Refuse("an Adam update outside an optimizer's Step() would repeat its bias correction");

    private void Hold<T>(params ReadOnlySpan<ArrayView<T>> views) where T : unmanaged
    {
        foreach (var view in views)
        {
            recording.Hold(view);
        }
    }
}
