using ILGPU;
using ILGPU.Runtime;
using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Device
{
    /// <summary>
    /// Runs an element body over [0, length): as a host loop on the CPU device for small lengths, otherwise through
    /// the cached grid-stride kernel with a grid sized from the device.
    /// </summary>
    internal void Launch<TBody>(TBody body, int length) where TBody : struct, IElementBody
    {
        if (length <= 0)
        {
            return;
        }
        CountLaunch();
        if (Kind == DeviceKind.Cpu && length <= HostLoopMaxLength)
        {
            for (int i = 0; i < length; i++)
            {
                body.Execute(i);
            }
            return;
        }
        Kernels.GridStride<TBody>()(GridStrideConfig(length), body, length);
    }

    private long _launches;
    private long _hostReads;
    private long _hostWrites;

    /// <summary>
    /// Kernel launches (and, on the CPU device, the host loops that stand in for them) since the process started: one
    /// per element-wise op, matmul or optimizer update, two for a split reduction, one per cuBLAS call. Tests and
    /// profiling read it to count what an op or a training step costs in launches.
    /// </summary>
    public long Launches => Interlocked.Read(ref _launches);

    /// <summary>
    /// Copies from this device to the host since the process started (ToArray, Item, printing): each one waits for
    /// the queued work, so a training step should make none.
    /// </summary>
    public long HostReads => Interlocked.Read(ref _hostReads);

    /// <summary>
    /// Copies from the host to this device since the process started (FromArray, batches, cross-entropy targets). On
    /// CUDA a copy from ordinary (pageable) host memory waits for the work queued before it.
    /// </summary>
    public long HostWrites => Interlocked.Read(ref _hostWrites);

    internal void CountLaunch() => Interlocked.Increment(ref _launches);

    internal void CountHostWrite() => Interlocked.Increment(ref _hostWrites);

    internal void CountHostRead() => Interlocked.Increment(ref _hostReads);

    /// <summary>
    /// Whether this is the CPU device with host loops on: then contiguous, strided and reduction loops and the
    /// matmul run over spans of host memory (any size), and other bodies run as host loops up to
    /// <see cref="HostLoopMaxLength"/> elements.
    /// </summary>
    internal bool UsesHostLoops => Kind == DeviceKind.Cpu && HostLoopMaxLength > 0;

    /// <summary>Threads per group for grid-stride kernels.</summary>
    internal int GridStrideGroupSize => Kind == DeviceKind.Cpu ? MaxGroupSize : Math.Min(256, MaxGroupSize);

    /// <summary>
    /// Enough groups to fill the device, never more than the work needs: the loop strides over the rest. On the CPU
    /// accelerator each multiprocessor is a core running one group at a time, so one group per core.
    /// </summary>
    internal KernelConfig GridStrideConfig(int length)
    {
        int group = GridStrideGroupSize;
        int needed = (int)Math.Min(((long)length + group - 1) / group, int.MaxValue);
        return new KernelConfig(Math.Max(1, Math.Min(needed, ResidentGroups(group) * (Kind == DeviceKind.Cpu ? 1 : 4))),
            group);
    }

    /// <summary>The largest power of two ≤ min(limit, <see cref="MaxGroupSize"/>).</summary>
    internal int PowerOfTwoGroupSize(int limit) =>
        (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Min(limit, MaxGroupSize) + 1) / 2;

    /// <summary>Threads the device keeps resident at once (all multiprocessors full).</summary>
    internal int ResidentThreads => Multiprocessors * _info.MaxNumThreadsPerMultiprocessor;

    /// <summary>How many groups keep every multiprocessor busy for a kernel of this group size.</summary>
    internal int ResidentGroups(int groupSize) => Kind == DeviceKind.Cpu
        ? Multiprocessors
        : Multiprocessors * Math.Max(1, _info.MaxNumThreadsPerMultiprocessor / groupSize);
}
