using BenchmarkDotNet.Attributes;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace MicrogradPlus.Benchmarks;

/// <summary>
/// The reference the matmul kernels are measured against: cuBLAS SGEMM (through ILGPU.Algorithms' binding) on the
/// same CUDA accelerator the library uses, C = A·B for n×n float32 matrices. Runs only where cuBLAS loads
/// (<see cref="Probe"/>); the library itself never needs cuBLAS.
/// </summary>
public class CuBlasBenchmarks
{
    private CuBlas _blas = null!;
    private MemoryBuffer1D<float, Stride1D.Dense> _a = null!, _b = null!, _c = null!;
    private Device _device = null!;

    /// <summary>Always "cuda".</summary>
    [ParamsSource(nameof(DeviceNames))]
    public string Device { get; set; } = "cuda";

    /// <summary>Rows = columns = inner dimension.</summary>
    [ParamsSource(nameof(Sizes))]
    public int N { get; set; }

    /// <summary>"cuda" when it is selected.</summary>
    public static IEnumerable<string> DeviceNames() => BenchSettings.Devices.Where(d => d == "cuda");

    /// <summary>64 … 4096.</summary>
    public static IEnumerable<int> Sizes() => BenchSettings.MatMulSizes();

    /// <summary>Whether cuBLAS loads on the CUDA device; <paramref name="why"/> says why not.</summary>
    public static bool Probe(out string why)
    {
        try
        {
            var device = BenchDevice.Open("cuda");
            using var blas = new CuBlas(CurrentCuda());
            why = "";
            BenchDevice.Close(device);
            return true;
        }
        catch (Exception e)
        {
            // Whatever the binding throws (missing library, symbol, version, CUDA error): the reference is optional.
            why = $"{e.GetType().Name}: {e.Message}";
            return false;
        }
    }

    [GlobalSetup]
    public void Setup()
    {
        _device = BenchDevice.Open(Device);
        var accelerator = CurrentCuda();
        _blas = new CuBlas(accelerator);
        var random = new Random(1);
        var host = new float[(long)N * N];
        for (int i = 0; i < host.Length; i++)
        {
            host[i] = (float)(random.NextDouble() * 2 - 1);
        }
        _a = accelerator.Allocate1D(host);
        _b = accelerator.Allocate1D(host);
        _c = accelerator.Allocate1D<float>(host.Length);
        _device.Synchronize();
    }

    [Benchmark]
    public void Sgemm()
    {
        // Column-major C = A·B is row-major Cᵀ = Bᵀ·Aᵀ: the same flops either way.
        _blas.Gemm(CuBlasOperation.NonTranspose, CuBlasOperation.NonTranspose, N, N, N, 1f, _a.View, N, _b.View, N,
            0f, _c.View, N);
        _device.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _device.Synchronize();
        _blas.Dispose();
        _a.Dispose();
        _b.Dispose();
        _c.Dispose();
        BenchDevice.Close(_device);
    }

    // BenchDevice.Open synchronizes the device, which binds its accelerator to this thread: that is the library's
    // CUDA accelerator, reached without touching the library's internals.
    private static CudaAccelerator CurrentCuda() =>
        Accelerator.Current as CudaAccelerator
        ?? throw new InvalidOperationException("the CUDA device did not bind a CUDA accelerator to this thread");
}
