using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

/// <summary>How a reduction is spread over the device.</summary>
public enum ReduceStrategy
{
    /// <summary>Rows on the CPU and for many short reductions; groups for few long ones.</summary>
    Auto,
    /// <summary>One thread per output, a serial loop over its block.</summary>
    Rows,
    /// <summary>One thread group per output, a shared-memory tree.</summary>
    Groups,
}

/// <summary>Which matrix-product kernel runs.</summary>
public enum MatMulKernel
{
    /// <summary>
    /// On CUDA, cuBLAS for large products when it loads and <see cref="Device.UseCuBlas"/> is on; otherwise on GPUs
    /// the register-blocked kernel when there are enough 128×128 blocks to fill the device, else the tiled one; on
    /// the CPU device a vectorised host loop (or the naive kernel when host loops are off).
    /// </summary>
    Auto,
    /// <summary>One thread per output element: the reference.</summary>
    Naive,
    /// <summary>Shared-memory tiles, one output per thread.</summary>
    Tiled,
    /// <summary>Register blocking: 128×128 per group of 256 threads, 8×8 per thread, double-buffered slices.</summary>
    Blocked,
    /// <summary>cuBLAS GEMM (CUDA only; throws, saying why, where it does not load or the layout does not fit).</summary>
    CuBlas,
}

/// <summary>
/// The kernel primitives the autograd layer is built from. Each checks its arguments on the host — shapes, devices,
/// axes — with messages that name what was wrong, picks how the work runs on this device (a kernel, a host loop on
/// the CPU device, cuBLAS, a split reduction's two passes) and launches it. The math lives in the kernels and the
/// host loops, not here.
/// </summary>
public static class Primitives
{
    /// <summary>y = op(x) element-wise; <paramref name="y"/> is contiguous with x's shape.</summary>
    public static void Map<T, TOp>(StridedView<T> x, DeviceBuffer<T> y, TOp op = default)
        where T : unmanaged
        where TOp : struct, IUnaryOp<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        RequireOutput(y, x.Size, x.Shape, x.Device, "map");
        var device = x.Device;
        if (x.IsContiguous)
        {
            MapContiguous(device, x.Buffer.View.SubView(x.Offset, x.Size), y.View, op, Vectorized.Aligned(x.Offset));
        }
        else if (device.UsesHostLoops)
        {
            HostLoops.Map(x.Buffer.View, LayoutOf(x), y.View, x.Size, op);
        }
        else
        {
            device.Launch(new MapBody<T, TOp>(x.Buffer.View, WalkOf(x), y.View, op), x.Size);
        }
    }

    /// <summary>
    /// c = op(a, b) element-wise with NumPy broadcasting; <paramref name="c"/> is contiguous with the broadcast shape
    /// (<see cref="Shapes.Broadcast"/>).
    /// </summary>
    public static void Zip<T, TOp>(StridedView<T> a, StridedView<T> b, DeviceBuffer<T> c, TOp op = default)
        where T : unmanaged
        where TOp : struct, IBinaryOp<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        RequireSameDevice(a.Device, b.Device, "binary op");
        int[] shape = Shapes.Broadcast(a.Shape, b.Shape);
        int size = Shapes.Size(shape);
        RequireOutput(c, size, shape, a.Device, "binary op");
        var device = a.Device;
        if (a.IsContiguous && b.IsContiguous && a.Size == size && b.Size == size)
        {
            ZipContiguous(device, a.Buffer.View.SubView(a.Offset, size), b.Buffer.View.SubView(b.Offset, size), c.View,
                op, Vectorized.Aligned(a.Offset) && Vectorized.Aligned(b.Offset));
        }
        else if (device.UsesHostLoops)
        {
            HostLoops.Zip(a.Buffer.View, LayoutOf(a.Expand(shape)), b.Buffer.View, LayoutOf(b.Expand(shape)), c.View,
                size, op);
        }
        else
        {
            device.Launch(new ZipBody<T, TOp>(a.Buffer.View, WalkOf(a.Expand(shape)), b.Buffer.View,
                WalkOf(b.Expand(shape)), c.View, op), size);
        }
    }

    /// <summary>Copies every element of <paramref name="source"/> into <paramref name="destination"/> (same shape).</summary>
    public static void Copy<T>(StridedView<T> source, StridedView<T> destination) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        RequireSameDevice(source.Device, destination.Device, "copy");
        if (!source.Shape.AsSpan().SequenceEqual(destination.Shape))
        {
            throw new ArgumentException(
                $"copy needs equal shapes, got {Shapes.Format(source.Shape)} into {Shapes.Format(destination.Shape)}");
        }
        var device = source.Device;
        if (source.IsContiguous && destination.IsContiguous)
        {
            MapContiguous(device, source.Buffer.View.SubView(source.Offset, source.Size),
                destination.Buffer.View.SubView(destination.Offset, destination.Size), default(CopyOp<T>),
                Vectorized.Aligned(source.Offset) && Vectorized.Aligned(destination.Offset));
        }
        else if (device.UsesHostLoops)
        {
            HostLoops.Copy(source.Buffer.View, LayoutOf(source), destination.Buffer.View, LayoutOf(destination),
                source.Size);
        }
        else
        {
            device.Launch(new CopyBody<T>(source.Buffer.View, WalkOf(source), destination.Buffer.View,
                WalkOf(destination)), source.Size);
        }
    }

    /// <summary>A contiguous copy of <paramref name="source"/> into <paramref name="destination"/>.</summary>
    public static void Copy<T>(StridedView<T> source, DeviceBuffer<T> destination) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(source);
        RequireOutput(destination, source.Size, source.Shape, source.Device, "copy");
        Copy(source, StridedView.Contiguous(destination, source.Shape));
    }

    /// <summary>Every element of <paramref name="y"/> set to <paramref name="value"/>.</summary>
    public static void Fill<T>(DeviceBuffer<T> y, T value) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(y);
        y.Device.Launch(new FillBody<T>(y.View, value), checked((int)y.Length));
    }

    /// <summary>y[i] = start + i·step.</summary>
    public static void Arange(DeviceBuffer<float> y, float start, float step)
    {
        ArgumentNullException.ThrowIfNull(y);
        y.Device.Launch(new ArangeBody(y.View, start, step), checked((int)y.Length));
    }

    /// <summary>y = (double)x: float32 to float64.</summary>
    public static void Widen(DeviceBuffer<float> x, DeviceBuffer<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        Widen(StridedView.Contiguous(x, checked((int)x.Length)), y);
    }

    /// <summary>y = (double)x for a contiguous view x (any offset): float32 to float64.</summary>
    public static void Widen(StridedView<float> x, DeviceBuffer<double> y)
    {
        RequireContiguous(x, "widen");
        RequireOutput(y, x.Size, x.Shape, x.Device, "widen");
        x.Device.Launch(new WidenBody(x.Buffer.View.SubView(x.Offset, x.Size), y.View), x.Size);
    }

    /// <summary>y = (float)x: float64 to float32.</summary>
    public static void Narrow(DeviceBuffer<double> x, DeviceBuffer<float> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        Narrow(StridedView.Contiguous(x, checked((int)x.Length)), y);
    }

    /// <summary>y = (float)x for a contiguous view x (any offset): float64 to float32.</summary>
    public static void Narrow(StridedView<double> x, DeviceBuffer<float> y)
    {
        RequireContiguous(x, "narrow");
        RequireOutput(y, x.Size, x.Shape, x.Device, "narrow");
        x.Device.Launch(new NarrowBody(x.Buffer.View.SubView(x.Offset, x.Size), y.View), x.Size);
    }

    private static void RequireContiguous<T>(StridedView<T> x, string what) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!x.IsContiguous)
        {
            throw new ArgumentException($"{what} needs a contiguous input, got {x}");
        }
    }

    /// <summary>Uniform numbers in [low, high) from a counter-based generator: the same on every device.</summary>
    public static void Uniform(DeviceBuffer<float> y, ulong seed, float low = 0f, float high = 1f)
    {
        ArgumentNullException.ThrowIfNull(y);
        if (!(high >= low))
        {
            throw new ArgumentException($"uniform range needs low ≤ high, got [{low}, {high})");
        }
        y.Device.Launch(new UniformBody(y.View, seed, low, high), checked((int)y.Length));
    }

    /// <summary>Normal numbers (Box–Muller over the counter-based generator): the same on every device.</summary>
    public static void Normal(DeviceBuffer<float> y, ulong seed, float mean = 0f, float std = 1f)
    {
        ArgumentNullException.ThrowIfNull(y);
        if (!(std >= 0f))
        {
            throw new ArgumentException($"normal needs a non-negative standard deviation, got {std}");
        }
        y.Device.Launch(new NormalBody(y.View, seed, mean, std), checked((int)y.Length));
    }

    /// <summary>
    /// Reduces <paramref name="x"/> over <paramref name="axes"/> (null or empty: all) into <paramref name="y"/>, which
    /// holds the kept dimensions in order; every result is multiplied by <paramref name="scale"/> (1/n gives a mean).
    /// </summary>
    public static void Reduce<T, TOp>(StridedView<T> x, int[]? axes, DeviceBuffer<T> y, T scale,
        ReduceStrategy strategy = ReduceStrategy.Auto, TOp op = default)
        where T : unmanaged, INumber<T>
        where TOp : struct, IReduceOp<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        int[] reduced = Shapes.NormalizeAxes(axes, x.Rank);
        int[] outShape = Shapes.Reduced(x.Shape, reduced, keepDim: false);
        RequireOutput(y, Shapes.Size(outShape), outShape, x.Device, "reduction");
        var shape = ReduceShapeOf(x, reduced);
        var device = x.Device;
        strategy = RowsOrGroups(strategy, device, shape);
        if (strategy == ReduceStrategy.Rows && device.UsesHostLoops)
        {
            HostLoops.Reduce(x.Buffer.View, y.View, shape, scale, op);
            return;
        }
        if (strategy == ReduceStrategy.Rows || shape.OuterCount == 0)
        {
            ReduceRows(x, shape, y, scale, op);
        }
        else
        {
            ReduceGroups(x, shape, y, scale, op);
        }
    }

    /// <summary>
    /// The strategy asked for; for <see cref="ReduceStrategy.Auto"/>, one thread per output (row) when outputs are
    /// plentiful, when rows are short, or when neighbouring outputs are neighbours in memory (reducing over a leading
    /// axis): then a warp's threads read adjacent addresses at every step. One group per output otherwise, so a group
    /// reads each block's contiguous run together. The CPU accelerator runs a group per core: always rows there.
    /// </summary>
    private static ReduceStrategy RowsOrGroups(ReduceStrategy strategy, Device device, in ReduceShape shape)
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
    /// One thread per output. On GPUs, when there are too few outputs to occupy the device's threads, every block is
    /// cut into parts of at least 64 elements, and a second pass reduces the [parts, outputs] partials (itself split
    /// only when each output has more than 127 partials: a tiny third launch costs more than it saves).
    /// </summary>
    private static void ReduceRows<T, TOp>(StridedView<T> x, ReduceShape shape, DeviceBuffer<T> y, T scale, TOp op)
        where T : unmanaged, INumber<T>
        where TOp : struct, IReduceOp<T>
    {
        var device = x.Device;
        int splits = device.Kind == DeviceKind.Cpu ? 1 : Splits(device.ResidentThreads, shape, 64);
        using var partials = splits == 1 ? null : device.Pool.Rent<T>((long)shape.OuterCount * splits, guarded: false);
        device.Launch(new ReduceRowsBody<T, TOp>(x.Buffer.View, partials?.View ?? y.View, shape,
            partials is null ? scale : T.One, op, splits), shape.OuterCount * splits);
        if (partials is not null)
        {
            Reduce(StridedView.Contiguous(partials, splits, shape.OuterCount), [0], y, scale, ReduceStrategy.Rows, op);
        }
    }

    /// <summary>
    /// One thread group per output, a shared-memory tree. When there are too few outputs to fill the device, every
    /// block is cut into parts (at least 8 elements per thread each), and a second pass reduces the [outputs, parts]
    /// partials.
    /// </summary>
    private static void ReduceGroups<T, TOp>(StridedView<T> x, ReduceShape shape, DeviceBuffer<T> y, T scale, TOp op)
        where T : unmanaged, INumber<T>
        where TOp : struct, IReduceOp<T>
    {
        var device = x.Device;
        int group = device.PowerOfTwoGroupSize(256);
        var kernel = device.Kernels.Get(typeof(ReduceGroupsKernel<T, TOp>), acc =>
            acc.LoadStreamKernel<ArrayView<T>, ArrayView<T>, ReduceShape, T, int, TOp>(ReduceKernels.ReduceGroups));
        int splits = Splits(device.ResidentGroups(group) * 2, shape, group * 8);
        using var partials = splits == 1 ? null : device.Pool.Rent<T>((long)shape.OuterCount * splits, guarded: false);
        device.CountLaunch();
        kernel(RowGroupsConfig(device, shape.OuterCount * splits), x.Buffer.View, partials?.View ?? y.View, shape,
            partials is null ? scale : T.One, splits, op);
        if (partials is not null)
        {
            Reduce(StridedView.Contiguous(partials, shape.OuterCount, splits), [1], y, scale, ReduceStrategy.Auto, op);
        }
    }

    /// <summary>
    /// Into how many parts to cut each reduced block so that the outputs times the parts fill
    /// <paramref name="capacity"/>, each part at least <paramref name="minPart"/> elements long (1: no second pass).
    /// </summary>
    private static int Splits(int capacity, in ReduceShape shape, int minPart) => shape.OuterCount == 0
        ? 1
        : Math.Max(1, Math.Min(capacity / shape.OuterCount, shape.InnerCount / minPart));

    /// <summary>
    /// Index of the largest (<paramref name="max"/>) or smallest value along <paramref name="axis"/>: the first one on
    /// ties, NaN counting as extreme (PyTorch's argmax/argmin).
    /// </summary>
    public static void ArgReduce<T>(StridedView<T> x, int axis, DeviceBuffer<int> y, bool max = true)
        where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        int a = Shapes.NormalizeAxis(axis, x.Rank);
        if (x.Rank > 0 && x.Shape[a] == 0)
        {
            throw new ArgumentException(
                $"{(max ? "argmax" : "argmin")} over axis {axis} of shape {Shapes.Format(x.Shape)}: the axis is empty");
        }
        int[] outShape = Shapes.Reduced(x.Shape, x.Rank == 0 ? [] : [a], keepDim: false);
        int size = Shapes.Size(outShape);
        RequireSameDevice(x.Device, y.Device, "argreduce");
        if (y.Length != size)
        {
            throw new ArgumentException($"argreduce output holds {y.Length} indices, shape {Shapes.Format(outShape)} " +
                                        $"needs {size}");
        }
        var shape = ReduceShapeOf(x, x.Rank == 0 ? [] : [a]);
        x.Device.Launch(new ArgReduceBody<T>(x.Buffer.View, y.View, shape, max ? T.One : -T.One), size);
    }

    /// <summary>
    /// Batched matrix product C = op(A)·op(B) (+ bias), op = transpose where flagged. A is [..., M, K] ([..., K, M]
    /// when transposed), B is [..., K, N] ([..., N, K]); batch dimensions broadcast; C is contiguous
    /// [broadcast batch..., M, N]. A <paramref name="bias"/> of shape [N] is added to every row of C in the same
    /// launch (torch.addmm). Transposes and broadcasts are strides only: nothing is copied.
    /// </summary>
    public static void MatMul<T>(StridedView<T> a, StridedView<T> b, DeviceBuffer<T> c, bool transposeA = false,
        bool transposeB = false, MatMulKernel kernel = MatMulKernel.Auto, StridedView<T>? bias = null)
        where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        RequireSameDevice(a.Device, b.Device, "matmul");
        int[] outShape = MatMulShape(a.Shape, b.Shape, transposeA, transposeB);
        RequireOutput(c, Shapes.Size(outShape), outShape, a.Device, "matmul");
        if (bias is not null)
        {
            RequireSameDevice(a.Device, bias.Device, "matmul bias");
            if (bias.Rank != 1 || bias.Shape[0] != outShape[^1])
            {
                throw new ArgumentException(
                    $"matmul bias of shape {Shapes.Format(bias.Shape)} does not fit the product of " +
                    $"{Shapes.Format(a.Shape)} and {Shapes.Format(b.Shape)}: it needs shape {Shapes.Format([outShape[^1]])}, " +
                    "one value per output column");
            }
        }
        if (a.Size == 0 || b.Size == 0)
        {
            // C is empty, or K = 0 and C is zeros (plus the bias). An empty operand may sit in an empty buffer, where
            // not even its batch view (one matrix at offset 0) can be built.
            Fill(c, T.Zero);
            AddBiasRows(c, bias, outShape[^1]);
            return;
        }
        var s = Geometry(a, b, transposeA, transposeB, outShape);
        var device = a.Device;
        var (av, bv, cv) = (a.Buffer.View, b.Buffer.View, c.View);
        // Without a bias the kernels still take a view for it (never read): C's.
        var biasView = cv;
        if (bias is not null && s.N > 0)
        {
            s.HasBias = 1;
            s.BiasOffset = bias.Offset;
            s.BiasStride = bias.Strides[0];
            biasView = bias.Buffer.View;
        }
        if (kernel == MatMulKernel.Auto && device.UsesHostLoops)
        {
            HostMatMul.Run(av, bv, cv, biasView, s);
            return;
        }
        if (kernel == MatMulKernel.Auto)
        {
            kernel = ChooseMatMul<T>(device, s);
        }
        switch (kernel)
        {
            case MatMulKernel.Naive:
                device.Launch(new MatMulNaiveBody<T>(av, bv, cv, biasView, s), s.Batch * s.M * s.N);
                break;
            case MatMulKernel.Tiled:
            {
                int tile = Math.Min(MatMulKernels.MaxTile, (int)Math.Sqrt(device.MaxGroupSize));
                int blocks = s.Batch * ((s.M + tile - 1) / tile) * ((s.N + tile - 1) / tile);
                var tiled = device.Kernels.Get(typeof(TiledKernel<T>), acc =>
                    acc.LoadStreamKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, MatMulShape, int>(
                        MatMulKernels.Tiled));
                device.CountLaunch();
                tiled(new KernelConfig(Math.Min(blocks, device.ResidentGroups(tile * tile) * 4), tile * tile), av, bv,
                    cv, biasView, s, tile);
                break;
            }
            case MatMulKernel.Blocked:
            {
                if (device.MaxGroupSize < MatMulBlocked.GroupSize)
                {
                    throw new NotSupportedException(
                        $"the blocked matmul needs groups of {MatMulBlocked.GroupSize} threads; {device} runs at most " +
                        $"{device.MaxGroupSize}");
                }
                var blocked = device.Kernels.Get(typeof(BlockedKernel<T>), acc =>
                    acc.LoadStreamKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, MatMulShape>(
                        MatMulBlocked.Run));
                int groups = Math.Min(BlockedGroups(s), device.ResidentGroups(MatMulBlocked.GroupSize) * 2);
                device.CountLaunch();
                blocked(new KernelConfig(groups, MatMulBlocked.GroupSize), av, bv, cv, biasView, s);
                break;
            }
            case MatMulKernel.CuBlas:
            {
                var blas = device.Blas ?? throw new NotSupportedException(
                    $"matmul kernel CuBlas on {device}: {device.CuBlasStatus}");
                if (!GemmPlan.TryCreate(s, out var plan))
                {
                    throw new NotSupportedException(
                        $"matmul kernel CuBlas: the layout of {Shapes.Format(a.Shape)} (strides " +
                        $"{Shapes.Format(a.Strides)}) · {Shapes.Format(b.Shape)} (strides {Shapes.Format(b.Strides)}) " +
                        "is not a column-major matrix or its transpose");
                }
                blas.Run(device, av, bv, cv, s, plan);
                AddBiasRows(c, bias, s.N);
                break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "unknown matmul kernel");
        }
    }

    /// <summary>
    /// c[..., n] += bias[n] over C seen as rows of <paramref name="n"/>, nothing without a bias: a second launch, for
    /// cuBLAS (its β·C epilogue would need C filled with the bias first, a launch either way) and empty products.
    /// </summary>
    private static void AddBiasRows<T>(DeviceBuffer<T> c, StridedView<T>? bias, int n) where T : unmanaged, INumber<T>
    {
        if (bias is null || c.Length == 0)
        {
            return;
        }
        c.Device.Launch(new AddBiasBody<T>(c.View, bias.Buffer.View, n, bias.Offset, bias.Strides[0]),
            checked((int)c.Length));
    }

    /// <summary>
    /// The geometry the matmul kernels read: batch count, M, N, K, the batch layouts and the row and column strides
    /// of both operands (after the transpose flags). Operands must be non-empty with fitting shapes.
    /// </summary>
    public static MatMulShape MatMulGeometry<T>(StridedView<T> a, StridedView<T> b, bool transposeA = false,
        bool transposeB = false) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return Geometry(a, b, transposeA, transposeB, MatMulShape(a.Shape, b.Shape, transposeA, transposeB));
    }

    private static MatMulShape Geometry<T>(StridedView<T> a, StridedView<T> b, bool transposeA, bool transposeB,
        int[] outShape) where T : unmanaged
    {
        int[] batchShape = outShape[..^2];
        var aBatch = new StridedView<T>(a.Buffer, a.Shape[..^2], a.Strides[..^2], a.Offset).Expand(batchShape);
        var bBatch = new StridedView<T>(b.Buffer, b.Shape[..^2], b.Strides[..^2], b.Offset).Expand(batchShape);
        return new MatMulShape
        {
            Batch = Shapes.Size(batchShape),
            M = outShape[^2],
            N = outShape[^1],
            K = transposeA ? a.Shape[^2] : a.Shape[^1],
            BatchA = LayoutOf(aBatch),
            BatchB = LayoutOf(bBatch),
            ARowStride = transposeA ? a.Strides[^1] : a.Strides[^2],
            AColStride = transposeA ? a.Strides[^2] : a.Strides[^1],
            BRowStride = transposeB ? b.Strides[^1] : b.Strides[^2],
            BColStride = transposeB ? b.Strides[^2] : b.Strides[^1],
        };
    }

    /// <summary>
    /// What <see cref="MatMulKernel.Auto"/> runs where host loops are off: the naive kernel on the CPU accelerator,
    /// cuBLAS for large products on CUDA, the blocked kernel where 128×128 blocks fill the device, else the tiled one.
    /// </summary>
    private static MatMulKernel ChooseMatMul<T>(Device device, in MatMulShape s)
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

    // cuBLAS is called once per matrix of a batch; beyond this many, one launch of an own kernel is cheaper.
    private const int MaxCuBlasBatch = 16;

    private static int BlockedGroups(in MatMulShape s) =>
        s.Batch * ((s.M + MatMulBlocked.Block - 1) / MatMulBlocked.Block) *
        ((s.N + MatMulBlocked.Block - 1) / MatMulBlocked.Block);

    /// <summary>The output shape of <see cref="MatMul"/>; throws naming both shapes when they do not fit.</summary>
    public static int[] MatMulShape(int[] a, int[] b, bool transposeA = false, bool transposeB = false)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Length < 2 || b.Length < 2)
        {
            throw new ArgumentException(
                $"matmul kernel needs operands of rank ≥ 2, got {Shapes.Format(a)} and {Shapes.Format(b)}");
        }
        int m = transposeA ? a[^1] : a[^2], ka = transposeA ? a[^2] : a[^1];
        int kb = transposeB ? b[^1] : b[^2], n = transposeB ? b[^2] : b[^1];
        if (ka != kb)
        {
            throw new ArgumentException(
                $"matmul inner dimensions differ: {Shapes.Format(a)}{(transposeA ? "ᵀ" : "")} has {ka} columns, " +
                $"{Shapes.Format(b)}{(transposeB ? "ᵀ" : "")} has {kb} rows");
        }
        int[] batch;
        try
        {
            batch = Shapes.Broadcast(a.AsSpan(0, a.Length - 2), b.AsSpan(0, b.Length - 2));
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException(
                $"matmul batch dimensions of {Shapes.Format(a)} and {Shapes.Format(b)} do not broadcast: {e.Message}");
        }
        return [.. batch, m, n];
    }

    /// <summary>
    /// torch.gather along <paramref name="axis"/>: y[i][j][k] = x[i][index[i][j][k]][k] (for axis 1). The index has
    /// x's rank and, off the axis, sizes no larger than x's; every index is checked before anything is launched.
    /// </summary>
    public static void Gather<T>(StridedView<T> x, int axis, int[] indices, int[] indexShape, DeviceBuffer<T> y)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(indexShape);
        int a = Shapes.NormalizeAxis(axis, x.Rank);
        if (indexShape.Length != x.Rank)
        {
            throw new ArgumentException($"gather index of shape {Shapes.Format(indexShape)} must have the rank of " +
                                        $"the input {Shapes.Format(x.Shape)}");
        }
        for (int d = 0; d < x.Rank; d++)
        {
            if (d != a && indexShape[d] > x.Shape[d])
            {
                throw new ArgumentException($"gather index of shape {Shapes.Format(indexShape)} is larger than the " +
                                            $"input {Shapes.Format(x.Shape)} in dimension {d}");
            }
        }
        int size = Shapes.Size(indexShape);
        if (indices.Length != size)
        {
            throw new ArgumentException($"gather got {indices.Length} indices for index shape " +
                                        $"{Shapes.Format(indexShape)} ({size})");
        }
        int limit = x.Rank == 0 ? 1 : x.Shape[a];
        for (int i = 0; i < indices.Length; i++)
        {
            if (indices[i] < 0 || indices[i] >= limit)
            {
                throw new ArgumentOutOfRangeException(nameof(indices),
                    $"gather index {indices[i]} at position {i} is out of range for axis {axis} of size {limit} " +
                    $"(input shape {Shapes.Format(x.Shape)})");
            }
        }
        RequireOutput(y, size, indexShape, x.Device, "gather");
        if (size == 0)
        {
            return;
        }
        var strides = (int[])x.Strides.Clone();
        int axisStride = x.Rank == 0 ? 0 : strides[a];
        if (x.Rank > 0)
        {
            strides[a] = 0;
        }
        using var deviceIndices = x.Device.Pool.Rent<int>(size, guarded: false);
        deviceIndices.CopyFrom(indices);
        x.Device.Launch(new GatherBody<T>(x.Buffer.View, Layout.Create(indexShape, strides, x.Offset), axisStride,
            deviceIndices.View, y.View), size);
    }

    /// <summary>Concatenates <paramref name="inputs"/> along <paramref name="axis"/> into contiguous y.</summary>
    public static void Concat<T>(IReadOnlyList<StridedView<T>> inputs, int axis, DeviceBuffer<T> y) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0)
        {
            throw new ArgumentException("concatenation needs at least one input", nameof(inputs));
        }
        var first = inputs[0];
        if (first.Rank == 0)
        {
            throw new ArgumentException("cannot concatenate zero-dimensional views (shape ()); unsqueeze them first",
                nameof(inputs));
        }
        int a = Shapes.NormalizeAxis(axis, first.Rank);
        var outShape = (int[])first.Shape.Clone();
        outShape[a] = 0;
        foreach (var input in inputs)
        {
            RequireSameDevice(first.Device, input.Device, "concatenation");
            bool fits = input.Rank == first.Rank;
            for (int d = 0; fits && d < first.Rank; d++)
            {
                fits = d == a || input.Shape[d] == first.Shape[d];
            }
            if (!fits)
            {
                throw new ArgumentException($"cannot concatenate {Shapes.Format(input.Shape)} with " +
                                            $"{Shapes.Format(first.Shape)} along axis {axis}: other dimensions differ");
            }
            outShape[a] += input.Shape[a];
        }
        RequireOutput(y, Shapes.Size(outShape), outShape, first.Device, "concatenation");
        var whole = StridedView.Contiguous(y, outShape);
        int start = 0;
        foreach (var input in inputs)
        {
            Copy(input, whole.Slice(a, start, start + input.Shape[a]));
            start += input.Shape[a];
        }
    }

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
        var device = logits.Device;
        var shape = ReduceShapeOf(logits, [1]);
        strategy = RowsOrGroups(strategy, device, shape);
        var rows = Layout.Create([n], [logits.Strides[0]], logits.Offset);
        if (strategy == ReduceStrategy.Rows && device.UsesHostLoops)
        {
            HostLoops.CrossEntropyRows<T, TMath>(logits.Buffer.View, rows, n, classes, logits.Strides[1], targets.View,
                loss.View, stats.View);
            return;
        }
        if (strategy == ReduceStrategy.Rows || n == 0)
        {
            device.Launch(new CrossEntropyRowsBody<T, TMath>(logits.Buffer.View, rows, classes, logits.Strides[1],
                targets.View, loss.View, stats.View), n);
            return;
        }
        var kernel = device.Kernels.Get(typeof(CrossEntropyGroupsKernel<T, TMath>), acc =>
            acc.LoadStreamKernel<ArrayView<T>, ReduceShape, ArrayView<T>, ArrayView<T>, ArrayView<T>>(
                CrossEntropyKernels.Groups<T, TMath>));
        device.CountLaunch();
        kernel(RowGroupsConfig(device, n), logits.Buffer.View, shape, targets.View, loss.View, stats.View);
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
        var g = gradOutput.Buffer.View.SubView(gradOutput.Offset, 1);
        if (logits.Device.UsesHostLoops)
        {
            // Row by row whatever the logits' strides: each row of dx is written as one run.
            HostLoops.CrossEntropyBackward<T, TMath>(logits.Buffer.View,
                Layout.Create([n], [logits.Strides[0]], logits.Offset), n, classes, logits.Strides[1], targets.View,
                stats.View, g, scale, dx.View);
            return;
        }
        logits.Device.Launch(new CrossEntropyGradBody<T, TMath>(logits.Buffer.View, WalkOf(logits), classes,
            targets.View, stats.View, g, scale, dx.View), n * classes);
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
        var xShape = ReduceShapeOf(x, axes);
        var yShape = ReduceShapeOf(StridedView.Contiguous(y, x.Shape), axes);
        var device = x.Device;
        if (x.Size == 0)
        {
            return;
        }
        strategy = RowsOrGroups(strategy, device, xShape);
        if (strategy == ReduceStrategy.Rows && device.UsesHostLoops)
        {
            HostLoops.Softmax<T, TMath>(x.Buffer.View, xShape, y.View, yShape, log);
            return;
        }
        if (strategy == ReduceStrategy.Rows)
        {
            device.Launch(new SoftmaxRowsBody<T, TMath>(x.Buffer.View, xShape, y.View, yShape, log),
                xShape.OuterCount);
            return;
        }
        var kernel = device.Kernels.Get(typeof(SoftmaxGroupsKernel<T, TMath>), acc =>
            acc.LoadStreamKernel<ArrayView<T>, ReduceShape, ArrayView<T>, ReduceShape, int>(
                SoftmaxKernels.Groups<T, TMath>));
        device.CountLaunch();
        kernel(RowGroupsConfig(device, xShape.OuterCount), x.Buffer.View, xShape, y.View, yShape, log ? 1 : 0);
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
        var gShape = ReduceShapeOf(gradOutput, axes);
        var yShape = ReduceShapeOf(StridedView.Contiguous(y, shape), axes);
        var device = y.Device;
        if (gradOutput.Size == 0)
        {
            return;
        }
        strategy = RowsOrGroups(strategy, device, yShape);
        if (strategy == ReduceStrategy.Rows && device.UsesHostLoops)
        {
            HostLoops.SoftmaxBackward<T, TMath>(y.View, gradOutput.Buffer.View, gShape, dx.View, yShape, log);
            return;
        }
        if (strategy == ReduceStrategy.Rows)
        {
            device.Launch(new SoftmaxGradRowsBody<T, TMath>(y.View, gradOutput.Buffer.View, gShape, dx.View, yShape,
                log), yShape.OuterCount);
            return;
        }
        var kernel = device.Kernels.Get(typeof(SoftmaxGradGroupsKernel<T, TMath>), acc =>
            acc.LoadStreamKernel<ArrayView<T>, ArrayView<T>, ReduceShape, ArrayView<T>, ReduceShape, int>(
                SoftmaxKernels.GradGroups<T, TMath>));
        device.CountLaunch();
        kernel(RowGroupsConfig(device, yShape.OuterCount), y.View, gradOutput.Buffer.View, gShape, dx.View, yShape,
            log ? 1 : 0);
    }

    /// <summary>
    /// A group per row (<see cref="Device.PowerOfTwoGroupSize"/> of 256 threads), as many groups as keep the device
    /// busy; the kernels stride over the rest.
    /// </summary>
    private static KernelConfig RowGroupsConfig(Device device, int rows)
    {
        int group = device.PowerOfTwoGroupSize(256);
        return new KernelConfig(Math.Max(1, Math.Min(rows, device.ResidentGroups(group) * 4)), group);
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
        var g = gradOutput.Buffer.View.SubView(gradOutput.Offset, 1);
        if (device.UsesHostLoops)
        {
            // Views that each walk memory as one run (contiguous ones among them) go as runs, split across cores;
            // others row by row, over full layouts of the one shape.
            var (predictionRun, targetRun) = (WalkOf(prediction), WalkOf(target));
            bool runs = predictionRun.Rank <= 1 && targetRun.Rank <= 1;
            HostLoops.MseBackward(prediction.Buffer.View, runs ? predictionRun : LayoutOf(prediction),
                target.Buffer.View, runs ? targetRun : LayoutOf(target), g, scale, dx.View, prediction.Size);
            return;
        }
        device.Launch(new MseGradBody<T>(prediction.Buffer.View, WalkOf(prediction), target.Buffer.View,
            WalkOf(target), g, scale, dx.View), prediction.Size);
    }

    /// <summary>One fused SGD update of <paramref name="parameter"/> in place (see <see cref="SgdSlot"/>).</summary>
    public static void SgdStep(DeviceBuffer<float> parameter, DeviceBuffer<float> grad,
        DeviceBuffer<float> momentumBuffer, SgdSettings settings) =>
        SgdSteps([new SgdUpdate(parameter, grad, momentumBuffer, settings)]);

    /// <summary>
    /// SGD updates of several parameters, up to <see cref="UpdateSlots{TSlot}.Capacity"/> per launch (consecutive
    /// parameters on one device share a launch).
    /// </summary>
    public static void SgdSteps(IReadOnlyList<SgdUpdate> updates)
    {
        ArgumentNullException.ThrowIfNull(updates);
        foreach (var u in updates)
        {
            RequireUpdateOperands(u.Parameter, u.Grad, u.MomentumBuffer, "SGD");
        }
        LaunchUpdates(updates, u => u.Parameter,
            (u, start) => new SgdSlot(u.Parameter.View, u.Grad.View, u.MomentumBuffer.View, u.Settings, start),
            HostLoops.SgdRange);
    }

    /// <summary>One fused Adam/AdamW update of <paramref name="parameter"/> in place (see <see cref="AdamSlot"/>).</summary>
    public static void AdamStep(DeviceBuffer<float> parameter, DeviceBuffer<float> grad, DeviceBuffer<float> m,
        DeviceBuffer<float> v, AdamSettings settings) => AdamSteps([new AdamUpdate(parameter, grad, m, v, settings)]);

    /// <summary>Adam/AdamW updates of several parameters, up to eight per launch (see <see cref="SgdSteps"/>).</summary>
    public static void AdamSteps(IReadOnlyList<AdamUpdate> updates)
    {
        ArgumentNullException.ThrowIfNull(updates);
        foreach (var u in updates)
        {
            RequireUpdateOperands(u.Parameter, u.Grad, u.M, "Adam");
            RequireUpdateOperands(u.Parameter, u.Grad, u.V, "Adam");
        }
        LaunchUpdates(updates, u => u.Parameter,
            (u, start) => new AdamSlot(u.Parameter.View, u.Grad.View, u.M.View, u.V.View, u.Settings, start),
            HostLoops.AdamRange);
    }

    // Packs consecutive parameters of one device into launches of up to eight slots; a launch's index range is the
    // parameters' elements one after another. On the CPU device the same groups run as one host loop each, over spans
    // (hostRange updates elements [from, to) of one parameter).
    private static void LaunchUpdates<TUpdate, TSlot>(IReadOnlyList<TUpdate> updates,
        Func<TUpdate, DeviceBuffer<float>> parameterOf, Func<TUpdate, int, TSlot> slotOf,
        Action<TUpdate, int, int> hostRange)
        where TSlot : struct, IUpdateSlot
    {
        int next = 0;
        while (next < updates.Count)
        {
            var device = parameterOf(updates[next]).Device;
            var group = new List<(TUpdate Update, int Start, int Length)>(UpdateSlots<TSlot>.Capacity);
            int total = 0;
            while (next < updates.Count && group.Count < UpdateSlots<TSlot>.Capacity &&
                   ReferenceEquals(parameterOf(updates[next]).Device, device))
            {
                var update = updates[next++];
                int length = checked((int)parameterOf(update).Length);
                if (length == 0)
                {
                    continue;
                }
                group.Add((update, total, length));
                total = checked(total + length);
            }
            if (group.Count == 0)
            {
                continue;
            }
            if (device.UsesHostLoops)
            {
                HostLoops.ForRange(total, total, (first, last) =>
                {
                    foreach (var (update, start, length) in group)
                    {
                        int from = Math.Max(first, start) - start;
                        int to = Math.Min(last, start + length) - start;
                        if (from < to)
                        {
                            hostRange(update, from, to);
                        }
                    }
                });
                continue;
            }
            // Unused slots repeat the last parameter, never chosen (Start = int.MaxValue).
            var slots = default(UpdateSlots<TSlot>);
            for (int i = 0; i < UpdateSlots<TSlot>.Capacity; i++)
            {
                var (update, start, _) = i < group.Count ? group[i] : (group[^1].Update, int.MaxValue, 0);
                slots.Set(i, slotOf(update, start));
            }
            device.Launch(new UpdateBody<TSlot>(slots), total);
        }
    }

    private static void RequireUpdateOperands(DeviceBuffer<float> parameter, DeviceBuffer<float> grad,
        DeviceBuffer<float> state, string what)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        ArgumentNullException.ThrowIfNull(grad);
        ArgumentNullException.ThrowIfNull(state);
        RequireSameDevice(parameter.Device, grad.Device, what);
        RequireSameDevice(parameter.Device, state.Device, what);
        if (grad.Length != parameter.Length || state.Length != parameter.Length)
        {
            throw new ArgumentException($"{what}: parameter has {parameter.Length} elements, gradient " +
                                        $"{grad.Length}, state {state.Length}");
        }
    }

    /// <summary>
    /// y = op(x) over contiguous views: a span loop on the CPU device, the contiguous kernel elsewhere (with vector
    /// loads when both views start at a multiple of four elements of their buffers: <paramref name="aligned"/>).
    /// </summary>
    private static void MapContiguous<T, TOp>(Device device, ArrayView<T> x, ArrayView<T> y, TOp op, bool aligned)
        where T : unmanaged
        where TOp : struct, IUnaryOp<T>
    {
        if (device.UsesHostLoops)
        {
            HostLoops.Map(x, y, op);
            return;
        }
        device.Launch(new MapContiguousBody<T, TOp>(x, y, op, aligned), Vectorized.Quads(y.IntLength));
    }

    private static void ZipContiguous<T, TOp>(Device device, ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, TOp op,
        bool aligned)
        where T : unmanaged
        where TOp : struct, IBinaryOp<T>
    {
        if (device.UsesHostLoops)
        {
            HostLoops.Zip(a, b, c, op);
            return;
        }
        device.Launch(new ZipContiguousBody<T, TOp>(a, b, c.SubView(0, a.Length), op, aligned),
            Vectorized.Quads(a.IntLength));
    }

    private static Layout LayoutOf<T>(StridedView<T> view) where T : unmanaged => Layout.Create(view.Shape, view.Strides, view.Offset);

    // For bodies that read a layout only through OffsetOf (the kernels): fewer dimensions, fewer divisions per element.
    // The host loops walk D5/S5 of layouts that share one shape, so they keep the full ones.
    private static Layout WalkOf<T>(StridedView<T> view) where T : unmanaged =>
        Layout.Coalesced(view.Shape, view.Strides, view.Offset);

    private static ReduceShape ReduceShapeOf<T>(StridedView<T> x, int[] reducedAxes) where T : unmanaged
    {
        var keptShape = new List<int>();
        var keptStrides = new List<int>();
        var innerShape = new List<int>();
        var innerStrides = new List<int>();
        for (int d = 0; d < x.Rank; d++)
        {
            bool reduced = Array.IndexOf(reducedAxes, d) >= 0;
            (reduced ? innerShape : keptShape).Add(x.Shape[d]);
            (reduced ? innerStrides : keptStrides).Add(x.Strides[d]);
        }
        return new ReduceShape
        {
            // Coalesced: a reduction over a contiguous block of any rank walks it as one run, without divisions.
            Outer = Layout.Coalesced(keptShape.ToArray(), keptStrides.ToArray(), x.Offset),
            Inner = Layout.Coalesced(innerShape.ToArray(), innerStrides.ToArray(), 0),
            OuterCount = Shapes.Size(keptShape.ToArray()),
            InnerCount = Shapes.Size(innerShape.ToArray()),
        };
    }

    // Keys of the kernels loaded through device.Kernels: one type per kernel and element type, so a launch looks its
    // kernel up without building (and boxing) a key.
    private sealed class TiledKernel<T>;
    private sealed class BlockedKernel<T>;
    private sealed class ReduceGroupsKernel<T, TOp>;
    private sealed class SoftmaxGroupsKernel<T, TMath>;
    private sealed class CrossEntropyGroupsKernel<T, TMath>;
    private sealed class SoftmaxGradGroupsKernel<T, TMath>;

    /// <summary>Throws unless the loss gradient a fused backward reads on the device holds exactly one element.</summary>
    private static void RequireScalar<T>(StridedView<T> gradOutput, string what) where T : unmanaged
    {
        if (gradOutput.Size != 1)
        {
            throw new ArgumentException(
                $"{what}: the loss gradient must have one element, got {Shapes.Format(gradOutput.Shape)}");
        }
    }

    private static void RequireSameDevice(Device a, Device b, string what)
    {
        if (!ReferenceEquals(a, b))
        {
            throw new ArgumentException($"{what}: operands are on different devices ({a} and {b}); move one with To()");
        }
    }

    private static void RequireOutput<T>(DeviceBuffer<T> y, int size, int[] shape, Device device, string what)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(y);
        RequireSameDevice(device, y.Device, what);
        if (y.Length != size)
        {
            throw new ArgumentException(
                $"{what}: output buffer holds {y.Length} elements but shape {Shapes.Format(shape)} needs {size}");
        }
    }
}

/// <summary>One parameter's SGD update: its memory, gradient, momentum buffer and the step's scalars.</summary>
public readonly record struct SgdUpdate(
    DeviceBuffer<float> Parameter, DeviceBuffer<float> Grad, DeviceBuffer<float> MomentumBuffer, SgdSettings Settings);

/// <summary>One parameter's Adam/AdamW update: its memory, gradient, moment estimates and the step's scalars.</summary>
public readonly record struct AdamUpdate(
    DeviceBuffer<float> Parameter, DeviceBuffer<float> Grad, DeviceBuffer<float> M, DeviceBuffer<float> V,
    AdamSettings Settings);
