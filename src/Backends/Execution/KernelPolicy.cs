using ILGPU;
using ILGPU.Runtime;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

/// <summary>
/// Launch geometry for <see cref="KernelExecutor"/>: grid sizes, rows or groups, how far to split a reduction, which
/// matmul kernel. Every tuning constant of the kernel path lives here.
/// </summary>
internal sealed class KernelPolicy(Device device)
{
    // cuBLAS is called once per matrix of a batch; beyond this many, one launch of an own kernel is cheaper.
    private const int MaxCuBlasBatch = 16;

    /// <summary>Threads per group for grid-stride kernels.</summary>
    public int GridStrideGroupSize => device.Kind == DeviceKind.Cpu ? device.MaxGroupSize
        : Math.Min(256, device.MaxGroupSize);

    /// <summary>
    /// Enough groups to fill the device, never more than the work needs: the loop strides over the rest. On the CPU
    /// accelerator each multiprocessor is a core running one group at a time, so one group per core.
    /// </summary>
    public KernelConfig GridStride(int length)
    {
        int group = GridStrideGroupSize;
        int needed = (int)Math.Min(((long)length + group - 1) / group, int.MaxValue);
        int resident = device.ResidentGroups(group) * (device.Kind == DeviceKind.Cpu ? 1 : 4);
        return new KernelConfig(Math.Max(1, Math.Min(needed, resident)), group);
    }

    /// <summary>
    /// A group per row (<see cref="Device.PowerOfTwoGroupSize"/> of 256 threads), as many groups as keep the device
    /// busy; the kernels stride over the rest.
    /// </summary>
    public KernelConfig RowGroups(int rows)
    {
        int group = device.PowerOfTwoGroupSize(256);
        return new KernelConfig(Math.Max(1, Math.Min(rows, device.ResidentGroups(group) * 4)), group);
    }

    /// <summary>
    /// The strategy asked for; for <see cref="ReduceStrategy.Auto"/>, one thread per output (row) when outputs are
    /// plentiful, when rows are short, or when neighbouring outputs are neighbours in memory (reducing over a leading
    /// axis): then a warp's threads read adjacent addresses at every step. One group per output otherwise, so a group
    /// reads each block's contiguous run together. The CPU accelerator runs a group per core: always rows there.
    /// </summary>
    public ReduceStrategy RowsOrGroups(ReduceStrategy strategy, in ReduceShape shape)
    {
        if (strategy != ReduceStrategy.Auto)
        {
            return strategy;
        }
        bool coalescedRows = shape.Outer.Rank > 0 && shape.Outer.S5 == 1 && shape.OuterCount >= 1024;
        return device.Kind == DeviceKind.Cpu || shape.InnerCount <= 64 || shape.OuterCount >= 16384 || coalescedRows
            ? ReduceStrategy.Rows
            : ReduceStrategy.Groups;
    }

    /// <summary>
    /// Into how many parts the row kernel cuts each block on GPUs, when there are too few outputs to occupy the
    /// device's threads: parts of at least 64 elements (1: no second pass).
    /// </summary>
    public int RowSplits(in ReduceShape shape) =>
        device.Kind == DeviceKind.Cpu ? 1 : Splits(device.ResidentThreads, shape, 64);

    /// <summary>Into how many parts the group kernel cuts each block: at least 8 elements per thread each.</summary>
    public int GroupSplits(in ReduceShape shape, int group) => Splits(device.ResidentGroups(group) * 2, shape, group * 8);

    /// <summary>The second pass over [parts, outputs] partials splits again only past 127 partials per output.</summary>
    private static int Splits(int capacity, in ReduceShape shape, int minPart) => shape.OuterCount == 0
        ? 1
        : Math.Max(1, Math.Min(capacity / shape.OuterCount, shape.InnerCount / minPart));

    // The longest rows the fused softmax and cross-entropy take on GPUs when rows are fewer than multiprocessors.
    private const int FusedMaxRow = 16384;

    /// <summary>
    /// Whether the fused row kernels suit these rows: on GPUs not a few rows (fewer than the multiprocessors) each
    /// longer than 16,384, which a thread group would walk alone while most of the device idles (plain ops' split
    /// reductions spread them instead). Always on the CPU accelerator, one group per core.
    /// </summary>
    public bool FusesRows(int rows, int length) =>
        device.Kind == DeviceKind.Cpu || length <= FusedMaxRow || rows >= device.Multiprocessors;

    /// <summary>
    /// What <see cref="MatMulKernel.Auto"/> runs: the naive kernel on the CPU accelerator, cuBLAS for large products
    /// on CUDA, the blocked kernel where 128×128 blocks fill the device, else the tiled one.
    /// </summary>
    public MatMulKernel ChooseMatMul<T>(in MatMulShape s)
    {
        if (device.Kind == DeviceKind.Cpu)
        {
            return MatMulKernel.Naive;
        }
        long work = (long)s.M * s.N * s.K;
        if (device.Kind == DeviceKind.Cuda && device.UseCuBlas && work >= Device.CuBlasMinWork &&
            s.Batch <= MaxCuBlasBatch && (typeof(T) == typeof(float) || typeof(T) == typeof(double)) &&
            device.Blas is not null && GemmPlan.TryCreate(s, out _))
        {
            return MatMulKernel.CuBlas;
        }
        return device.MaxGroupSize >= MatMulBlocked.GroupSize && BlockedGroups(s) >= device.Multiprocessors
            ? MatMulKernel.Blocked
            : MatMulKernel.Tiled;
    }

    /// <summary>The tiled kernel's tile edge and grid.</summary>
    public (int Tile, KernelConfig Config) Tiled(in MatMulShape s)
    {
        int tile = Math.Min(MatMulKernels.MaxTile, (int)Math.Sqrt(device.MaxGroupSize));
        int blocks = s.Batch * ((s.M + tile - 1) / tile) * ((s.N + tile - 1) / tile);
        return (tile, new KernelConfig(Math.Min(blocks, device.ResidentGroups(tile * tile) * 4), tile * tile));
    }

    /// <summary>The blocked kernel's grid: one group per 128×128 block, at most two rounds of the device.</summary>
    public KernelConfig Blocked(in MatMulShape s) => new(
        Math.Min(BlockedGroups(s), device.ResidentGroups(MatMulBlocked.GroupSize) * 2), MatMulBlocked.GroupSize);

    private static int BlockedGroups(in MatMulShape s) =>
        s.Batch * ((s.M + MatMulBlocked.Block - 1) / MatMulBlocked.Block) *
        ((s.N + MatMulBlocked.Block - 1) / MatMulBlocked.Block);
}
