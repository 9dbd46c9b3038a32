using BenchmarkDotNet.Attributes;
using MicrogradPlus.Nn;
using MicrogradPlus.Optim;

namespace MicrogradPlus.Benchmarks;

/// <summary>
/// One training step of an MLP with ReLU: forward, loss, backward, optimizer step, zero-grad, in one
/// <see cref="Tensor.Scope"/>. 2-16-16-1 (batch 100, mean squared error against one target per row) and
/// 784-256-256-10 (batch 256, cross-entropy against class indices); SGD (lr 0.01, momentum 0.9) or Adam (lr 1e-3).
/// <see cref="ReplayStep"/> is the same step captured once (<c>Device.Capture</c>) and replayed, with the class
/// indices in an Int32 tensor.
/// </summary>
public class MlpBenchmarks : DeviceBenchmark
{
    private Mlp _model = null!;
    private Optimizer _optimizer = null!;
    private Tensor _x = null!;
    private Tensor? _y;
    private int[] _classes = [];
    private Tensor? _labels;
    private CapturedStep? _captured;

    /// <summary>Layer widths, e.g. 784-256-256-10 (see <see cref="Workloads.Models"/>).</summary>
    [ParamsSource(nameof(ModelNames))]
    public string Model { get; set; } = "2-16-16-1";

    /// <summary>sgd or adam.</summary>
    [Params("sgd", "adam")]
    public string Optimizer { get; set; } = "sgd";

    /// <summary>Both models (the small one only in --quick).</summary>
    public static IEnumerable<string> ModelNames() => BenchSettings.MlpModels();

    [GlobalSetup(Target = nameof(TrainStep))]
    public void Setup()
    {
        OpenDevice();
        var (widths, batch) = Workloads.Models[Model];
        _model = Own(new Mlp(widths[0], widths[1..^1], widths[^1], Activation.Relu, Dev, seed: 1));
        _optimizer = Own<Optimizer>(Optimizer == "sgd"
            ? new Sgd(_model.Parameters(), 0.01f, momentum: 0.9f)
            : new Adam(_model.Parameters(), 1e-3f));
        _x = Own(Tensor.Randn([batch, widths[0]], seed: 2, device: Dev));
        if (widths[^1] == 1)
        {
            _y = Own(Tensor.Randn([batch, 1], seed: 3, device: Dev));
        }
        else
        {
            var random = new Random(4);
            _classes = Enumerable.Range(0, batch).Select(_ => random.Next(widths[^1])).ToArray();
            _labels = Own(Tensor.FromArray(_classes, [batch], Dev));
        }
        Dev.Synchronize();
    }

    [GlobalSetup(Target = nameof(ReplayStep))]
    public void SetupReplay()
    {
        Setup();
        _captured = Own(Dev.Capture(() =>
        {
            _optimizer.ZeroGrad();
            var output = _model.Forward(_x);
            var loss = _y is { } y ? Functional.Mse(output, y) : Functional.CrossEntropy(output, _labels!);
            loss.Backward();
            _optimizer.Step();
            return loss;
        }));
        Dev.Synchronize();
    }

    [Benchmark]
    public void TrainStep()
    {
        using (Tensor.Scope())
        {
            var output = _model.Forward(_x);
            var loss = _y is { } y ? Functional.Mse(output, y) : Functional.CrossEntropy(output, _classes);
            loss.Backward();
            _optimizer.Step();
            _optimizer.ZeroGrad();
            Dev.Synchronize();
        }
    }

    [Benchmark]
    public void ReplayStep()
    {
        _captured!.Replay();
        Dev.Synchronize();
    }
}
