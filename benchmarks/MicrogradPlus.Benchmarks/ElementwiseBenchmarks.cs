using BenchmarkDotNet.Attributes;
using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Benchmarks;

/// <summary>c = a + b, c = a · b, c = exp(a) over contiguous float32 vectors: the kernel primitives on pre-rented
/// buffers, so the time is the kernel (and, on the CPU device, the host loop) and nothing else.</summary>
public class ElementwiseBenchmarks : DeviceBenchmark
{
    private DeviceBuffer<float> _a = null!, _b = null!, _c = null!;
    private StridedView<float> _av = null!, _bv = null!;

    /// <summary>Elements per vector.</summary>
    [ParamsSource(nameof(Sizes))]
    public int Size { get; set; }

    /// <summary>1K … 64M (4M at most on the CPU devices).</summary>
    public static IEnumerable<int> Sizes() => BenchSettings.ElementwiseSizes();

    [GlobalSetup]
    public void Setup()
    {
        OpenDevice();
        _a = Random(Size, 1);
        _b = Random(Size, 2);
        _c = Rent(Size);
        _av = StridedView.Contiguous(_a, Size);
        _bv = StridedView.Contiguous(_b, Size);
        Dev.Synchronize();
    }

    [Benchmark, CpuMaxSize(BenchSettings.CpuMaxElements)]
    public void Add()
    {
        Primitives.Zip(_av, _bv, _c, default(AddOp));
        Dev.Synchronize();
    }

    [Benchmark, CpuMaxSize(BenchSettings.CpuMaxElements)]
    public void Mul()
    {
        Primitives.Zip(_av, _bv, _c, default(MulOp));
        Dev.Synchronize();
    }

    [Benchmark, CpuMaxSize(BenchSettings.CpuMaxElements)]
    public void Exp()
    {
        Primitives.Map(_av, _c, default(ExpOp));
        Dev.Synchronize();
    }
}
