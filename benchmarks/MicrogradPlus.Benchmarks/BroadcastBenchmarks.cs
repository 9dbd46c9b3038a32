using BenchmarkDotNet.Attributes;
using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Benchmarks;

/// <summary>
/// Broadcast adds on a square matrix [n, n] (n² = Size): a row vector [1, n] added to every row, and a column vector
/// [n, 1] added to every column — the strided (index-decoding) kernel path.
/// </summary>
public class BroadcastBenchmarks : DeviceBenchmark
{
    private DeviceBuffer<float> _m = null!, _row = null!, _col = null!, _c = null!;
    private StridedView<float> _mv = null!, _rowv = null!, _colv = null!;

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
        _m = Random(Size, 1);
        _row = Random(n, 2);
        _col = Random(n, 3);
        _c = Rent(Size);
        _mv = StridedView.Contiguous(_m, n, n);
        _rowv = StridedView.Contiguous(_row, 1, n);
        _colv = StridedView.Contiguous(_col, n, 1);
        Dev.Synchronize();
    }

    [Benchmark, CpuMaxSize(BenchSettings.CpuMaxElements)]
    public void AddRow()
    {
        Primitives.Zip(_mv, _rowv, _c, default(AddOp));
        Dev.Synchronize();
    }

    [Benchmark, CpuMaxSize(BenchSettings.CpuMaxElements)]
    public void AddColumn()
    {
        Primitives.Zip(_mv, _colv, _c, default(AddOp));
        Dev.Synchronize();
    }
}
