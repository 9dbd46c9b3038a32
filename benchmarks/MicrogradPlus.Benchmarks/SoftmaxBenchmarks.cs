using BenchmarkDotNet.Attributes;
using MicrogradPlus.Nn;

namespace MicrogradPlus.Benchmarks;

/// <summary>
/// Tensor-level ops on logits [Rows, 1000]: softmax over the last axis (forward, no graph), and mean cross-entropy
/// against class indices, forward and backward (the gradient with respect to the logits). Temporaries live in one
/// <see cref="Tensor.Scope"/> per call.
/// </summary>
public class SoftmaxBenchmarks : DeviceBenchmark
{
    private Tensor _logits = null!;
    private int[] _targets = [];

    /// <summary>Rows of the [rows, 1000] logits.</summary>
    [ParamsSource(nameof(RowCounts))]
    public int Rows { get; set; }

    /// <summary>64, 1024, 8192 (on every device: 8,192 × 1,000 is the size the GPU target is stated at).</summary>
    public static IEnumerable<int> RowCounts() => BenchSettings.SoftmaxRows();

    [GlobalSetup]
    public void Setup()
    {
        OpenDevice();
        _logits = Own(Tensor.Randn([Rows, Workloads.Classes], seed: 1, device: Dev, requiresGrad: true));
        var random = new Random(2);
        _targets = Enumerable.Range(0, Rows).Select(_ => random.Next(Workloads.Classes)).ToArray();
        Dev.Synchronize();
    }

    [Benchmark, CpuMaxSize(8192)]
    public void Softmax()
    {
        using (Autograd.NoGrad())
        using (Tensor.Scope())
        {
            _ = _logits.Softmax(1);
            Dev.Synchronize();
        }
    }

    [Benchmark, CpuMaxSize(8192)]
    public void CrossEntropy()
    {
        using (Tensor.Scope())
        {
            var loss = Functional.CrossEntropy(_logits, _targets);
            _ = Autograd.Grad(loss, [_logits]);
            Dev.Synchronize();
        }
    }
}
