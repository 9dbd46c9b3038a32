using ILGPU;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

internal sealed partial class HostExecutor
{
    /// <inheritdoc/>
    public override void MatMul<T, TAct>(MatMulOperands<T> m, MatMulKernel kernel)
    {
        if (kernel != MatMulKernel.Auto)
        {
            kernels.MatMul<T, TAct>(m, kernel);
            return;
        }
        Launched();
        var s = m.Shape;
        if (!(Device.UseSystemBlas && (long)s.Batch * s.M * s.N * s.K >= Device.SystemBlasMinWork &&
              Gemm.SystemBlas.Instance is { } blas &&
              blas.TryRun(m.A.Buffer.View, m.B.Buffer.View, m.C.View, m.BiasView, s)))
        {
            HostMatMul.Run(m.A.Buffer.View, m.B.Buffer.View, m.C.View, m.BiasView, s);
        }
        if (typeof(TAct) != typeof(NoActivation<T>))
        {
            // The activation over C in place, by the very loop that runs it as an op of its own (same split across
            // cores, same vector and scalar forms), so the fused product equals the two ops bit for bit.
            MapContiguous(m.C.View, m.C.View, checked((int)m.C.Length), default(TAct));
        }
    }

    /// <inheritdoc/>
    public override void Softmax<T, TMath>(ArrayView<T> x, ReduceShape xShape, ArrayView<T> y, ReduceShape yShape,
        bool log, ReduceStrategy strategy)
    {
        if (strategy != ReduceStrategy.Auto)
        {
            kernels.Softmax<T, TMath>(x, xShape, y, yShape, log, strategy);
            return;
        }
        Launched();
        HostLoops.Softmax<T, TMath>(x, xShape, y, yShape, log);
    }

    /// <inheritdoc/>
    public override void SoftmaxBackward<T, TMath>(ArrayView<T> y, ArrayView<T> g, ReduceShape gShape,
        ArrayView<T> dx, ReduceShape yShape, bool log, ReduceStrategy strategy)
    {
        if (strategy != ReduceStrategy.Auto)
        {
            kernels.SoftmaxBackward<T, TMath>(y, g, gShape, dx, yShape, log, strategy);
            return;
        }
        Launched();
        HostLoops.SoftmaxBackward<T, TMath>(y, g, gShape, dx, yShape, log);
    }

    /// <inheritdoc/>
    public override void CrossEntropyRows<T, TMath>(StridedView<T> logits, ReduceShape rows, ArrayView<T> targets,
        ArrayView<T> loss, ArrayView<T> stats, ReduceStrategy strategy)
    {
        if (strategy != ReduceStrategy.Auto)
        {
            kernels.CrossEntropyRows<T, TMath>(logits, rows, targets, loss, stats, strategy);
            return;
        }
        Launched();
        HostLoops.CrossEntropyRows<T, TMath>(logits.Buffer.View, RowStarts(logits), rows.OuterCount, rows.InnerCount,
            logits.Strides[1], targets, loss, stats);
    }

    /// <inheritdoc/>
    public override void CrossEntropyBackward<T, TMath>(StridedView<T> logits, ArrayView<T> targets,
        ArrayView<T> stats, ArrayView<T> gradOutput, T scale, ArrayView<T> dx)
    {
        // Row by row whatever the logits' strides: each row of dx is written as one run.
        Launched();
        HostLoops.CrossEntropyBackward<T, TMath>(logits.Buffer.View, RowStarts(logits), logits.Shape[0],
            logits.Shape[1], logits.Strides[1], targets, stats, gradOutput, scale, dx);
    }

    private static Layout RowStarts<T>(StridedView<T> logits) where T : unmanaged =>
        Layout.Create([logits.Shape[0]], [logits.Strides[0]], logits.Offset);

    /// <inheritdoc/>
    public override void Sgd(IReadOnlyList<Slice<SgdUpdate>> group, int total) =>
        Ranges(group, total, HostLoops.SgdRange);

    /// <inheritdoc/>
    public override void Adam(IReadOnlyList<Slice<AdamUpdate>> group, int total) =>
        Ranges(group, total, HostLoops.AdamRange);

    // The launch's index range, the parameters' elements one after another, split across cores; each piece updates
    // elements [from, to) of the parameters it overlaps.
    private void Ranges<TUpdate>(IReadOnlyList<Slice<TUpdate>> group, int total, Action<TUpdate, int, int> range)
    {
        Launched();
        HostLoops.ForRange(total, total, (first, last) =>
        {
            foreach (var (update, start, length) in group)
            {
                int from = Math.Max(first, start) - start;
                int to = Math.Min(last, start + length) - start;
                if (from < to)
                {
                    range(update, from, to);
                }
            }
        });
    }
}
