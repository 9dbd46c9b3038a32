using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Benchmarks;

/// <summary>
/// The CPU target of the issue — element-wise within 3× of single-threaded TensorPrimitives — as BenchmarkDotNet's
/// Ratio column: c = a + b with
/// <see cref="TensorPrimitives.Add(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/> on managed arrays (the
/// baseline, one thread), with the CPU device as users get it (host loop over the
/// accelerator's memory, split across cores above 64K elements), and as an ILGPU CPU-accelerator kernel.
/// </summary>
public class CpuAddBaseline
{
    private float[] _x = [], _y = [], _z = [];
    private DeviceBuffer<float> _a = null!, _b = null!, _c = null!;
    private StridedView<float> _av = null!, _bv = null!;
    private Device _cpu = null!;

    /// <summary>Elements per vector.</summary>
    [ParamsSource(nameof(Sizes))]
    public int Size { get; set; }

    /// <summary>4K … 4M.</summary>
    public static IEnumerable<int> Sizes() => BenchSettings.BaselineSizes();

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _x = Enumerable.Range(0, Size).Select(_ => (float)random.NextDouble()).ToArray();
        _y = Enumerable.Range(0, Size).Select(_ => (float)random.NextDouble()).ToArray();
        _z = new float[Size];
        _cpu = BenchDevice.Open("cpu");
        _a = _cpu.Pool.Rent<float>(Size);
        _b = _cpu.Pool.Rent<float>(Size);
        _c = _cpu.Pool.Rent<float>(Size);
        _a.CopyFrom(_x);
        _b.CopyFrom(_y);
        _av = StridedView.Contiguous(_a, Size);
        _bv = StridedView.Contiguous(_b, Size);
    }

    [Benchmark(Baseline = true)]
    public void TensorPrimitives() => System.Numerics.Tensors.TensorPrimitives.Add(_x, _y, _z);

    [Benchmark]
    public void HostLoop()
    {
        Primitives.Zip(_av, _bv, _c, default(AddOp));
        _cpu.Synchronize();
    }

    [Benchmark]
    public void IlgpuKernel()
    {
        _cpu.RunsHostLoops = false;
        Primitives.Zip(_av, _bv, _c, default(AddOp));
        _cpu.Synchronize();
        _cpu.RunsHostLoops = true;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _a.Dispose();
        _b.Dispose();
        _c.Dispose();
        BenchDevice.Close(_cpu);
    }
}
