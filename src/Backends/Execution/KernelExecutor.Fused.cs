using ILGPU;
using ILGPU.Runtime;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

internal sealed partial class KernelExecutor
{
    /// <inheritdoc/>
    public override bool FusesRows(int rows, int length) => Policy.FusesRows(rows, length);

    /// <inheritdoc/>
    public override void Softmax<T, TMath>(ArrayView<T> x, ReduceShape xShape, ArrayView<T> y, ReduceShape yShape,
        bool log, ReduceStrategy strategy)
    {
        if (Policy.RowsOrGroups(strategy, xShape) == ReduceStrategy.Rows)
        {
            Run(new SoftmaxRowsBody<T, TMath>(x, xShape, y, yShape, log), xShape.OuterCount);
            return;
        }
        var kernel = Kernels.Get(typeof(SoftmaxGroupsKernel<T, TMath>), acc =>
            acc.LoadKernel<ArrayView<T>, ReduceShape, ArrayView<T>, ReduceShape, int>(
                SoftmaxKernels.Groups<T, TMath>));
        Launched();
        lock (_launchGate)
        {
            kernel(Device.Stream, Policy.RowGroups(xShape.OuterCount), x, xShape, y, yShape, log ? 1 : 0);
        }
    }

    /// <inheritdoc/>
    public override void SoftmaxBackward<T, TMath>(ArrayView<T> y, ArrayView<T> g, ReduceShape gShape,
        ArrayView<T> dx, ReduceShape yShape, bool log, ReduceStrategy strategy)
    {
        if (Policy.RowsOrGroups(strategy, yShape) == ReduceStrategy.Rows)
        {
            Run(new SoftmaxGradRowsBody<T, TMath>(y, g, gShape, dx, yShape, log), yShape.OuterCount);
            return;
        }
        var kernel = Kernels.Get(typeof(SoftmaxGradGroupsKernel<T, TMath>), acc =>
            acc.LoadKernel<ArrayView<T>, ArrayView<T>, ReduceShape, ArrayView<T>, ReduceShape, int>(
                SoftmaxKernels.GradGroups<T, TMath>));
        Launched();
        lock (_launchGate)
        {
            kernel(Device.Stream, Policy.RowGroups(yShape.OuterCount), y, g, gShape, dx, yShape, log ? 1 : 0);
        }
    }

    /// <inheritdoc/>
    public override void CrossEntropyRows<T, TMath>(StridedView<T> logits, ReduceShape rows, ArrayView<T> targets,
        ArrayView<T> loss, ArrayView<T> stats, ReduceStrategy strategy)
    {
        if (Policy.RowsOrGroups(strategy, rows) == ReduceStrategy.Rows)
        {
            Run(new CrossEntropyRowsBody<T, TMath>(logits.Buffer.View,
                Layout.Create([rows.OuterCount], [logits.Strides[0]], logits.Offset), rows.InnerCount,
                logits.Strides[1], targets, loss, stats), rows.OuterCount);
            return;
        }
        var kernel = Kernels.Get(typeof(CrossEntropyGroupsKernel<T, TMath>), acc =>
            acc.LoadKernel<ArrayView<T>, ReduceShape, ArrayView<T>, ArrayView<T>, ArrayView<T>>(
                CrossEntropyKernels.Groups<T, TMath>));
        Launched();
        lock (_launchGate)
        {
            kernel(Device.Stream, Policy.RowGroups(rows.OuterCount), logits.Buffer.View, rows, targets, loss, stats);
        }
    }

    /// <inheritdoc/>
    public override void CrossEntropyBackward<T, TMath>(StridedView<T> logits, ArrayView<T> targets,
        ArrayView<T> stats, ArrayView<T> gradOutput, T scale, ArrayView<T> dx) =>
        Run(new CrossEntropyGradBody<T, TMath>(logits.Buffer.View, Walks.WalkOf(logits), logits.Shape[1], targets,
            stats, gradOutput, scale, dx), logits.Size);

    /// <inheritdoc/>
    public override void Sgd(IReadOnlyList<Slice<SgdUpdate>> group, int total) =>
        Run(new UpdateBody<SgdSlot>(Slots(group, (u, start) =>
            new SgdSlot(u.Parameter.View, u.Grad.View, u.MomentumBuffer.View, u.Settings, start))), total);

    /// <inheritdoc/>
    public override void Adam(IReadOnlyList<Slice<AdamUpdate>> group, int total) =>
        Run(new UpdateBody<AdamSlot>(Slots(group, (u, start) =>
            new AdamSlot(u.Parameter.View, u.Grad.View, u.M.View, u.V.View, u.Settings, start))), total);

    // Unused slots repeat the last parameter, never chosen (Start = int.MaxValue).
    private static UpdateSlots<TSlot> Slots<TUpdate, TSlot>(IReadOnlyList<Slice<TUpdate>> group,
        Func<TUpdate, int, TSlot> slotOf)
        where TSlot : struct, IUpdateSlot
    {
        var slots = default(UpdateSlots<TSlot>);
        for (int i = 0; i < UpdateSlots<TSlot>.Capacity; i++)
        {
            var (update, start, _) = i < group.Count ? group[i] : group[^1] with { Start = int.MaxValue };
            slots.Set(i, slotOf(update, start));
        }
        return slots;
    }

    private sealed class SoftmaxGroupsKernel<T, TMath>;
    private sealed class CrossEntropyGroupsKernel<T, TMath>;
    private sealed class SoftmaxGradGroupsKernel<T, TMath>;
}
