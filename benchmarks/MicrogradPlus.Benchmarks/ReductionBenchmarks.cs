using BenchmarkDotNet.Attributes;
using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Benchmarks;

/// <summary>
/// Sums over a square matrix [n, n] (n² = Size): over everything, over the last axis (one sum per row, each over
/// contiguous memory) and over the first axis (one sum per column, strided).
/// </summary>
public class ReductionBenchmarks : DeviceBenchmark
{
    private DeviceBuffer<float> _x = null!, _all = null!, _perLine = null!;
    private StridedView<float> _xv = null!;

    /// <summary>Elements of the matrix.</summary>
    [ParamsSource(nameof(Sizes))]
    public int Size { get; set; }

    /// <summary>1K … 64M (4M at most on the CPU devices).</summary>
    public static IEnumerable<int> Sizes() => BenchSettings.ElementwiseSizes();

    [GlobalSetup]
    public void Setup()
    {
        OpenDevice();
        int n = (int)Math.Round(Math.Sqrt(Size));
        _x = Random(Size, 1);
        _all = Rent(1);
        _perLine = Rent(n);
        _xv = StridedView.Contiguous(_x, n, n);
        Dev.Synchronize();
    }

    [Benchmark, CpuMaxSize(BenchSettings.CpuMaxElements)]
    public void SumAll()
    {
        Primitives.Reduce<float, SumReduce>(_xv, null, _all, 1f);
        Dev.Synchronize();
    }

    [Benchmark, CpuMaxSize(BenchSettings.CpuMaxElements)]
    public void SumRows()
    {
        Primitives.Reduce<float, SumReduce>(_xv, [1], _perLine, 1f);
        Dev.Synchronize();
    }

    [Benchmark, CpuMaxSize(BenchSettings.CpuMaxElements)]
    public void SumColumns()
    {
        Primitives.Reduce<float, SumReduce>(_xv, [0], _perLine, 1f);
        Dev.Synchronize();
    }
}
