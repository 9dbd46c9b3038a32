using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

/// <summary>How a reduction is spread over the device.</summary>
internal enum ReduceStrategy
{
    /// <summary>The executor's choice: rows or groups on GPUs by the shape, host loops on the CPU device.</summary>
    Auto,
    /// <summary>One thread per output, a serial loop over its block.</summary>
    Rows,
    /// <summary>One thread group per output, a shared-memory tree.</summary>
    Groups,
}

/// <summary>Which matrix-product kernel runs.</summary>
internal enum MatMulKernel
{
    /// <summary>
    /// On CUDA, cuBLAS for large products when it loads and <see cref="Device.UseCuBlas"/> is on; otherwise on GPUs
    /// the register-blocked kernel when there are enough 128×128 blocks to fill the device, else the tiled one; on
    /// the CPU device a vectorised host loop (the naive kernel on ILGPU's CPU accelerator).
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
/// The semantic primitives the autograd layer is built from, by family (element-wise, reductions, matmul, fused
/// losses and softmax, optimizers). Each checks what only it can know — output sizes, index ranges, the geometry it
/// derives — with messages that name what was wrong, skips empty work (an empty view may start past its buffer's
/// end) and hands the rest to the device's <see cref="Executor"/>. The math lives in the operator structs and fused
/// routines of <c>MicrogradPlus.Kernels</c>; how work is spread lives in the executors.
/// </summary>
internal static partial class Primitives
{
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

    private static void RequireContiguous<T>(StridedView<T> x, string what) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!x.IsContiguous)
        {
            throw new ArgumentException($"{what} needs a contiguous input, got {x}");
        }
    }

    /// <summary>Throws unless the loss gradient a fused backward reads on the device holds exactly one element.</summary>
    private static void RequireScalar<T>(StridedView<T> gradOutput, string what) where T : unmanaged
    {
        if (gradOutput.Size != 1)
        {
            throw new ArgumentException(
                $"{what}: the loss gradient must have one element, got {Shapes.Format(gradOutput.Shape)}");
        }
    }
}
