using BenchmarkDotNet.Attributes;
using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Benchmarks;

/// <summary>
/// Per-op dispatch overhead: 100 adds of 16-element tensors per call and one synchronize at the end, reported per
/// add. TensorAdd goes through the whole Tensor path (shape checks, pooled output, scope, no autograd);
/// TensorAddRecorded does the same with inputs that require gradients, so every add also records its graph node (the
/// issue's "Tensor op incl. graph recording"); PrimitiveAdd launches the kernel primitive on pre-rented buffers; and
/// TensorNoLaunch allocates and frees a pooled result tensor without launching anything — the host-side share, so
/// TensorAdd ≈ PrimitiveAdd + TensorNoLaunch shows where the time goes.
/// </summary>
public class DispatchBenchmarks : DeviceBenchmark
{
    private Tensor _a = null!, _b = null!, _ga = null!, _gb = null!;
    private DeviceBuffer<float> _pa = null!, _pb = null!, _pc = null!;
    private StridedView<float> _pav = null!, _pbv = null!;

    [GlobalSetup]
    public void Setup()
    {
        OpenDevice();
        _a = Own(Tensor.Randn([Workloads.TinySize], seed: 1, device: Dev));
        _b = Own(Tensor.Randn([Workloads.TinySize], seed: 2, device: Dev));
        _ga = Own(Tensor.Randn([Workloads.TinySize], seed: 1, device: Dev, requiresGrad: true));
        _gb = Own(Tensor.Randn([Workloads.TinySize], seed: 2, device: Dev, requiresGrad: true));
        _pa = Random(Workloads.TinySize, 1);
        _pb = Random(Workloads.TinySize, 2);
        _pc = Rent(Workloads.TinySize);
        _pav = StridedView.Contiguous(_pa, Workloads.TinySize);
        _pbv = StridedView.Contiguous(_pb, Workloads.TinySize);
        Dev.Synchronize();
    }

    [Benchmark(OperationsPerInvoke = Workloads.DispatchOps)]
    public void TensorAdd()
    {
        using (Autograd.NoGrad())
        using (Tensor.Scope())
        {
            for (int i = 0; i < Workloads.DispatchOps; i++)
            {
                _ = _a + _b;
            }
            Dev.Synchronize();
        }
    }

    [Benchmark(OperationsPerInvoke = Workloads.DispatchOps)]
    public void TensorAddRecorded()
    {
        using (Tensor.Scope())
        {
            for (int i = 0; i < Workloads.DispatchOps; i++)
            {
                _ = _ga + _gb;
            }
            Dev.Synchronize();
        }
    }

    [Benchmark(OperationsPerInvoke = Workloads.DispatchOps)]
    public void TensorNoLaunch()
    {
        using (Tensor.Scope())
        {
            for (int i = 0; i < Workloads.DispatchOps; i++)
            {
                _ = Tensor.Uninitialized([Workloads.TinySize], Dev);
            }
            Dev.Synchronize();
        }
    }

    [Benchmark(OperationsPerInvoke = Workloads.DispatchOps)]
    public void PrimitiveAdd()
    {
        for (int i = 0; i < Workloads.DispatchOps; i++)
        {
            Primitives.Zip(_pav, _pbv, _pc, default(AddOp));
        }
        Dev.Synchronize();
    }
}
