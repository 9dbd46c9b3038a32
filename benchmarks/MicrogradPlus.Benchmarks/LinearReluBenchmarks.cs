using BenchmarkDotNet.Attributes;
using MicrogradPlus.Nn;

namespace MicrogradPlus.Benchmarks;

/// <summary>
/// One hidden layer, relu(x·Wᵀ + b), forward and backward (the gradients of x, W and b from Σ output): as one op with
/// relu in the product's store (<see cref="Fused"/>, what a Sequential of Linear and ReLU runs), against the product
/// and a relu op after it (<see cref="Unfused"/>, the baseline; the Ratio column is fused over unfused). Widths are
/// the MLP workloads' hidden layers: 16 → 16 at batch 100 and 256 → 256 at batch 256.
/// </summary>
public class LinearReluBenchmarks : DeviceBenchmark
{
    private Tensor _x = null!, _weight = null!, _bias = null!;

    /// <summary>"16x100" or "256x256": the layer's width and the batch.</summary>
    [ParamsSource(nameof(Layers))]
    public string Layer { get; set; } = "16x100";

    /// <summary>Both layers (the small one only in --quick).</summary>
    public static IEnumerable<string> Layers() => BenchSettings.LinearReluLayers();

    [GlobalSetup]
    public void Setup()
    {
        OpenDevice();
        int width = int.Parse(Layer.Split('x')[0], System.Globalization.CultureInfo.InvariantCulture);
        int batch = int.Parse(Layer.Split('x')[1], System.Globalization.CultureInfo.InvariantCulture);
        _x = Own(Tensor.Randn([batch, width], seed: 1, device: Dev, requiresGrad: true));
        _weight = Own(Tensor.Randn([width, width], seed: 2, device: Dev, requiresGrad: true));
        _bias = Own(Tensor.Randn([width], seed: 3, device: Dev, requiresGrad: true));
        Dev.Synchronize();
    }

    [Benchmark(Baseline = true)]
    public void Unfused() => Step(fuse: false);

    [Benchmark]
    public void Fused() => Step(fuse: true);

    private void Step(bool fuse)
    {
        using (Tensor.Scope())
        {
            var y = fuse
                ? Functional.Linear(_x, _weight, _bias, Epilogue.Relu)
                : Functional.Linear(_x, _weight, _bias).Relu();
            _ = Autograd.Grad(y.Sum(), [_x, _weight, _bias]);
            Dev.Synchronize();
        }
    }
}
