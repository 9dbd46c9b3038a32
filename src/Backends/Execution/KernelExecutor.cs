using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

/// <summary>
/// Runs the primitives as ILGPU kernels: CUDA, OpenCL, and ILGPU's CPU accelerator (the <c>cpu-ilgpu</c> test and
/// benchmark device). Element bodies run through the one grid-stride kernel; reductions, softmax and cross-entropy
/// as a thread per row or a group per row; matmul as the kernel <see cref="KernelPolicy"/> picks. Geometry comes from
/// <see cref="Policy"/>.
/// </summary>
internal sealed partial class KernelExecutor(Device device) : Executor(device)
{
    /// <summary>Grid sizes and kernel choices for this device.</summary>
    public KernelPolicy Policy { get; } = new(device);

    private KernelCache Kernels => Device.Kernels;

    // ILGPU's OpenCL launcher sets each argument on a kernel object that every thread shares, then enqueues it: two
    // threads launching one kernel at once can swap arguments (a sum came out 756 for 840). So the launches of one
    // device take turns; uncontended, the lock costs tens of nanoseconds against a launch's microseconds.
    private readonly Lock _launchGate = new();

    /// <inheritdoc/>
    public override void Run<TBody>(TBody body, int length)
    {
        if (length <= 0)
        {
            return;
        }
        Launched();
        lock (_launchGate)
        {
            Kernels.GridStride<TBody>()(Device.Stream, Policy.GridStride(length), body, length);
        }
    }

    /// <inheritdoc/>
    public override void Map<T, TOp>(StridedView<T> x, DeviceBuffer<T> y, TOp op)
    {
        if (x.IsContiguous)
        {
            // Four elements per index, with 16-byte loads when the view starts on a four-element boundary.
            Run(new MapContiguousBody<T, TOp>(x.Buffer.View.SubView(x.Offset, x.Size), y.View, op,
                Vectorized.Aligned(x.Offset)), Vectorized.Quads(x.Size));
        }
        else
        {
            Run(new MapBody<T, TOp>(x.Buffer.View, Walks.WalkOf(x), y.View, op), x.Size);
        }
    }

    /// <inheritdoc/>
    public override void Zip<T, TOp>(StridedView<T> a, StridedView<T> b, DeviceBuffer<T> c, TOp op)
    {
        int size = checked((int)c.Length);
        if (a.IsContiguous && b.IsContiguous)
        {
            Run(new ZipContiguousBody<T, TOp>(a.Buffer.View.SubView(a.Offset, size),
                b.Buffer.View.SubView(b.Offset, size), c.View, op,
                Vectorized.Aligned(a.Offset) && Vectorized.Aligned(b.Offset)), Vectorized.Quads(size));
        }
        else
        {
            Run(new ZipBody<T, TOp>(a.Buffer.View, Walks.WalkOf(a), b.Buffer.View, Walks.WalkOf(b), c.View, op), size);
        }
    }

    /// <inheritdoc/>
    public override void Copy<T>(StridedView<T> source, StridedView<T> destination)
    {
        if (source.IsContiguous && destination.IsContiguous)
        {
            Run(new MapContiguousBody<T, CopyOp<T>>(source.Buffer.View.SubView(source.Offset, source.Size),
                destination.Buffer.View.SubView(destination.Offset, destination.Size), default,
                Vectorized.Aligned(source.Offset) && Vectorized.Aligned(destination.Offset)),
                Vectorized.Quads(source.Size));
        }
        else
        {
            Run(new CopyBody<T>(source.Buffer.View, Walks.WalkOf(source), destination.Buffer.View,
                Walks.WalkOf(destination)), source.Size);
        }
    }

    /// <inheritdoc/>
    public override void Reduce<T, TOp>(StridedView<T> x, ReduceShape shape, DeviceBuffer<T> y, T scale,
        ReduceStrategy strategy, TOp op)
    {
        if (Policy.RowsOrGroups(strategy, shape) == ReduceStrategy.Rows)
        {
            ReduceRows(x.Buffer.View, shape, y, scale, op);
        }
        else
        {
            ReduceGroups(x.Buffer.View, shape, y, scale, op);
        }
    }

    /// <summary>
    /// One thread per output. On GPUs, when there are too few outputs to occupy the device's threads, every block is
    /// cut into parts, and a second pass reduces the [parts, outputs] partials.
    /// </summary>
    private void ReduceRows<T, TOp>(ArrayView<T> x, ReduceShape shape, DeviceBuffer<T> y, T scale, TOp op)
        where T : unmanaged, INumber<T>
        where TOp : struct, IReduceOp<T>
    {
        int splits = Policy.RowSplits(shape);
        using var partials = splits == 1 ? null : Device.Pool.Rent<T>((long)shape.OuterCount * splits, guarded: false);
        Run(new ReduceRowsBody<T, TOp>(x, partials?.View ?? y.View, shape, partials is null ? scale : T.One, op,
            splits), shape.OuterCount * splits);
        if (partials is not null)
        {
            var view = StridedView.Contiguous(partials, splits, shape.OuterCount);
            ReduceRows(partials.View, Walks.ReduceShapeOf(view, [0]), y, scale, op);
        }
    }

    /// <summary>
    /// One thread group per output, a shared-memory tree. When there are too few outputs to fill the device, every
    /// block is cut into parts, and a second pass reduces the [outputs, parts] partials.
    /// </summary>
    private void ReduceGroups<T, TOp>(ArrayView<T> x, ReduceShape shape, DeviceBuffer<T> y, T scale, TOp op)
        where T : unmanaged, INumber<T>
        where TOp : struct, IReduceOp<T>
    {
        int group = Device.PowerOfTwoGroupSize(256);
        var kernel = Kernels.Get(typeof(ReduceGroupsKernel<T, TOp>), acc =>
            acc.LoadKernel<ArrayView<T>, ArrayView<T>, ReduceShape, T, int, TOp>(ReduceKernels.ReduceGroups));
        int splits = Policy.GroupSplits(shape, group);
        using var partials = splits == 1 ? null : Device.Pool.Rent<T>((long)shape.OuterCount * splits, guarded: false);
        Launched();
        lock (_launchGate)
        {
            kernel(Device.Stream, Policy.RowGroups(shape.OuterCount * splits), x, partials?.View ?? y.View, shape,
                partials is null ? scale : T.One, splits, op);
        }
        if (partials is not null)
        {
            var view = StridedView.Contiguous(partials, shape.OuterCount, splits);
            Reduce(view, Walks.ReduceShapeOf(view, [1]), y, scale, ReduceStrategy.Auto, op);
        }
    }

    // Keys of the kernels loaded through the cache: one type per kernel and element type, so a launch looks its
    // kernel up without building (and boxing) a key.
    private sealed class ReduceGroupsKernel<T, TOp>;
}
