using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Device
{
    private KernelExecutor? _kernelExecutor;
    private Executor? _executor;
    private bool _hostLoops;

    /// <summary>
    /// How this device runs the primitives, chosen once: ILGPU kernels on GPUs, host loops over spans on the CPU
    /// device (or, with <see cref="RunsHostLoops"/> off, ILGPU's CPU kernels: the <c>cpu-ilgpu</c> test device).
    /// </summary>
    internal Executor Executor
    {
        get
        {
            if (StepRecording.Any is { } recording)
            {
                return ReferenceEquals(recording.Device, this)
                    ? recording.Executor
                    : throw recording.Refuse($"the step launches work on {this} as well, which a replay would skip");
            }
            if (_executor is { } ready)
            {
                return ready;
            }
            lock (_gate)
            {
                _kernelExecutor ??= new KernelExecutor(this);
                return _executor ??= _hostLoops ? new HostExecutor(this, _kernelExecutor) : _kernelExecutor;
            }
        }
    }

    /// <summary>
    /// Whether the CPU device runs host loops over spans (its default) rather than ILGPU's CPU-accelerator kernels,
    /// which tests and benchmarks switch to as the <c>cpu-ilgpu</c> device. Always false elsewhere.
    /// </summary>
    internal bool RunsHostLoops
    {
        get => _hostLoops;
        set
        {
            lock (_gate)
            {
                _hostLoops = value && Kind == DeviceKind.Cpu;
                _executor = null;
            }
        }
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

    /// <summary>Counted by the executors only (<c>Executor.Launched</c>).</summary>
    internal void CountLaunch() => Interlocked.Increment(ref _launches);

    internal void CountHostWrite()
    {
        if (StepRecording.Any is { } recording)
        {
            throw recording.Refuse("the step copies host data to the device (Tensor.FromArray, CrossEntropy with an " +
                                   "int[] target, …), which a replay would not repeat: create the inputs before " +
                                   "the capture and copy each batch into them between replays");
        }
        Interlocked.Increment(ref _hostWrites);
    }

    internal void CountHostRead()
    {
        if (StepRecording.Any is { } recording)
        {
            throw recording.Refuse("the step reads device data on the host (Item, ToArray, printing, a check of " +
                                   "values), which cannot happen inside a replay: read the outputs after Replay()");
        }
        Interlocked.Increment(ref _hostReads);
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
