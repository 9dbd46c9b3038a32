using BenchmarkDotNet.Attributes;
using MicrogradPlus.Backends;

namespace MicrogradPlus.Benchmarks;

/// <summary>
/// C = A·B for square float32 matrices n×n, with each matrix-product kernel the library has: Naive (one thread per
/// output), Tiled (shared-memory tiles), Blocked (register-blocked, GPUs only) and Auto (what users get: cuBLAS on
/// CUDA where it loads, Blocked or Tiled on other GPUs, the vectorised host loop on the CPU device).
/// </summary>
public class MatMulBenchmarks : DeviceBenchmark
{
    private DeviceBuffer<float> _a = null!, _b = null!, _c = null!;
    private StridedView<float> _av = null!, _bv = null!;

    /// <summary>Rows = columns = inner dimension.</summary>
    [ParamsSource(nameof(Sizes))]
    public int N { get; set; }

    /// <summary>64 … 4096 (up to 1024, 256 or 64 on the CPU devices, per kernel).</summary>
    public static IEnumerable<int> Sizes() => BenchSettings.MatMulSizes();

    [GlobalSetup]
    public void Setup()
    {
        OpenDevice();
        _a = Random((long)N * N, 1);
        _b = Random((long)N * N, 2);
        _c = Rent((long)N * N);
        _av = StridedView.Contiguous(_a, N, N);
        _bv = StridedView.Contiguous(_b, N, N);
        Dev.Synchronize();
    }

    [Benchmark, CpuMaxSize(256)]
    public void Naive()
    {
        Primitives.MatMul(_av, _bv, _c, kernel: MatMulKernel.Naive);
        Dev.Synchronize();
    }

    // On the CPU accelerator every group barrier is a thread rendezvous: n = 64 already takes about 2 s.
    [Benchmark, CpuMaxSize(64, QuickMax = 0)]
    public void Tiled()
    {
        Primitives.MatMul(_av, _bv, _c, kernel: MatMulKernel.Tiled);
        Dev.Synchronize();
    }

    [Benchmark, GpuOnly]
    public void Blocked()
    {
        Primitives.MatMul(_av, _bv, _c, kernel: MatMulKernel.Blocked);
        Dev.Synchronize();
    }

    [Benchmark, CpuMaxSize(1024)]
    public void Auto()
    {
        Primitives.MatMul(_av, _bv, _c, kernel: MatMulKernel.Auto);
        Dev.Synchronize();
    }
}
