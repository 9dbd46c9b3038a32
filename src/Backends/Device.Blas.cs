using ILGPU.Runtime.Cuda;
using MicrogradPlus.Backends;
using Gemm = MicrogradPlus.Backends.Gemm;

namespace MicrogradPlus;

public sealed partial class Device
{
    /// <summary>
    /// The environment variable that turns the cuBLAS path off when set to 0, off or false (it is on by default on
    /// CUDA devices where cuBLAS loads).
    /// </summary>
    public const string CuBlasVariable = "MICROGRAD_CUBLAS";

    /// <summary>
    /// Products with at least this many multiply-adds (M·N·K per matrix) go to cuBLAS when it is on; smaller ones
    /// cost less as one launch of the library's own kernel.
    /// </summary>
    public const long CuBlasMinWork = 64L * 64 * 64;

    /// <summary>
    /// Whether large float32/float64 matrix products on this CUDA device run through cuBLAS (when it loads). True by
    /// default unless <c>MICROGRAD_CUBLAS=0</c>; set false to measure or test the library's own kernels. cuBLAS is
    /// never required: where it does not load, <see cref="CuBlasStatus"/> says why and the own kernels run.
    /// </summary>
    public bool UseCuBlas { get; set; } = !IsOff(Environment.GetEnvironmentVariable(CuBlasVariable));

    /// <summary>Whether cuBLAS loaded on this device (loads it on first call; false on other devices).</summary>
    public bool HasCuBlas => Blas is not null;

    /// <summary>"cuBLAS 130100 loaded", or why it is not used here.</summary>
    public string CuBlasStatus => _blas.Value.Status;

    /// <summary>cuBLAS for this device, created on first use; null where it does not load.</summary>
    internal CuBlasGemm? Blas => _blas.Value.Gemm;

    // Loaded once, on first use, thread-safely (Lazy's default mode); created in the constructor.
    private readonly Lazy<(CuBlasGemm? Gemm, string Status)> _blas;

    private (CuBlasGemm? Gemm, string Status) LoadBlas()
    {
        if (Kind != DeviceKind.Cuda)
        {
            return (null, $"cuBLAS is CUDA only; this is {this}");
        }
        var gemm = CuBlasGemm.TryCreate((CudaAccelerator)Accelerator, (CudaStream)Stream, out string why);
        return (gemm, why);
    }

    /// <summary>
    /// The environment variable that turns the CPU device's system BLAS path off when set to 0, off or false (it is on
    /// by default where an optimised BLAS — OpenBLAS, BLIS or MKL — loads).
    /// </summary>
    public const string SystemBlasVariable = "MICROGRAD_BLAS";

    /// <summary>
    /// Products with at least this many multiply-adds (M·N·K over the batch) go to the system BLAS when it is on;
    /// smaller ones run faster in the managed GEMM, which starts no BLAS threads.
    /// </summary>
    public const long SystemBlasMinWork = 64L * 64 * 64;

    /// <summary>
    /// Whether the CPU device's large float32/float64 products run through the system BLAS (<c>cblas_sgemm</c> and
    /// <c>cblas_dgemm</c> of OpenBLAS, BLIS or MKL, loaded at run time) when one is installed. True by default unless
    /// <c>MICROGRAD_BLAS=0</c>; set false to run the library's own GEMM. Never required: where none loads,
    /// <see cref="SystemBlasStatus"/> says why. Only the <c>cpu</c> device uses it.
    /// </summary>
    public bool UseSystemBlas { get; set; } = !IsOff(Environment.GetEnvironmentVariable(SystemBlasVariable));

    /// <summary>Whether this is the CPU device and a system BLAS loaded (loads it on first call).</summary>
    public bool HasSystemBlas => RunsHostLoops && Gemm.SystemBlas.Instance is not null;

    /// <summary>"OpenBLAS 0.3.21 … (libopenblas.so.0) loaded", or why no system BLAS is used on this device.</summary>
    public string SystemBlasStatus =>
        RunsHostLoops ? Gemm.SystemBlas.Status : $"the system BLAS serves the cpu device only; this is {this}";

    private static bool IsOff(string? value) =>
        value is not null && value.Trim().ToLowerInvariant() is "0" or "off" or "false" or "no";
}
