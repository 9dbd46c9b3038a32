using System.Globalization;
using System.Text.Json;
using MicrogradPlus.Nn;
using MicrogradPlus.Optim;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Nn;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// Optimizer.StateDict/LoadStateDict against torch's optimizer.state_dict() (tests/goldens/train_goldens.json, made by
/// tests/goldens/generate_train_goldens.py), their checks, and Checkpoint's bit-for-bit resume.
/// </summary>
public class OptimizerStateTests
{
    // As OptimizerTests: torch orders the same float32 arithmetic slightly differently (measured there: 4e-7 relative,
    // 6e-8 absolute near 0).
    private const double Rtol = 1e-6;
    private const double Atol = 1e-7;

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void State_after_steps_matches_pytorch_state_dict(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var failures = new List<string>();
        int cases = 0;
        foreach (var golden in TrainGoldens.Root.GetProperty("optimizer_state").EnumerateArray())
        {
            string name = golden.GetProperty("name").GetString()!;
            using var tensors = Tensor.Scope();
            var parameters = golden.GetProperty("params").EnumerateArray()
                .Select(p => Tensor.FromArray(NnGoldens.Floats(p.GetProperty("data")), NnGoldens.Shape(p),
                    scope.Device, requiresGrad: true))
                .ToArray();
            using var optimizer = Create(golden.GetProperty("kind").GetString()!, golden.GetProperty("args"),
                parameters);
            foreach (var row in golden.GetProperty("grads").EnumerateArray())
            {
                SetGradients(parameters, row.EnumerateArray().Select(NnGoldens.Floats).ToArray());
                optimizer.Step();
                optimizer.ZeroGrad();
            }
            var state = optimizer.StateDict();
            foreach (var entry in golden.GetProperty("state").EnumerateObject())
            {
                if (!state.TryGetValue(entry.Name, out var actual))
                {
                    failures.Add($"{name}: StateDict() has no '{entry.Name}'");
                    continue;
                }
                Assert.Equal(NnGoldens.Shape(entry.Value), actual.Shape);
                var want = NnGoldens.Doubles(entry.Value.GetProperty("data"));
                var got = actual.ToDoubleArray();
                for (int k = 0; k < want.Length; k++)
                {
                    // Hyper-parameters are float32 here and float64 in torch: 1e-7 relative at most.
                    if (!(Math.Abs(got[k] - want[k]) <= Atol + Rtol * Math.Abs(want[k])))
                    {
                        failures.Add(string.Create(CultureInfo.InvariantCulture,
                            $"{name}: {entry.Name}[{k}] expected {want[k]:R}, got {got[k]:R}"));
                    }
                }
            }
            cases++;
        }
        Assert.Equal(5, cases);
        Assert.True(failures.Count == 0, $"{failures.Count} mismatches on {deviceName}:\n" +
                                         string.Join("\n", failures.Take(40)));
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Checkpoint_resume_is_bit_for_bit(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        const int n = 3;
        foreach (string kind in new[] { "sgd", "adam", "adamw" })
        {
            using var tensors = Tensor.Scope();
            var (x, y) = Batch(scope.Device);
            string path = Path.Combine(Path.GetTempPath(), $"checkpoint-{Guid.NewGuid():N}.safetensors");
            try
            {
                // Straight: 2N steps.
                using var straight = new Mlp(4, [6], 3, device: scope.Device, seed: 7);
                using var straightOptimizer = Build(kind, straight);
                Train(straight, straightOptimizer, x, y, 2 * n);

                // N steps, save, load into a model and optimizer built differently, N more steps.
                using (var first = new Mlp(4, [6], 3, device: scope.Device, seed: 7))
                using (var firstOptimizer = Build(kind, first))
                {
                    Train(first, firstOptimizer, x, y, n);
                    Checkpoint.Save(path, first, firstOptimizer, epoch: 41);
                }
                using var resumed = new Mlp(4, [6], 3, device: scope.Device, seed: 99);
                using var resumedOptimizer = Build(kind, resumed);
                Assert.Equal(41, Checkpoint.Load(path, resumed, resumedOptimizer));
                Assert.Equal(n, resumedOptimizer.StepCount);
                Train(resumed, resumedOptimizer, x, y, n);

                foreach (var ((name, a), (_, b)) in straight.NamedParameters().Zip(resumed.NamedParameters()))
                {
                    var want = a.ToArray();
                    var got = b.ToArray();
                    for (int k = 0; k < want.Length; k++)
                    {
                        Assert.True(BitConverter.SingleToInt32Bits(want[k]) == BitConverter.SingleToInt32Bits(got[k]),
                            $"{kind} on {deviceName}: {name}[{k}] straight {want[k]:R}, resumed {got[k]:R}");
                    }
                }
            }
            finally
            {
                File.Delete(path);
            }
        }
    }

    [Fact]
    public void State_dict_round_trips_and_names_the_keys()
    {
        using var tensors = Tensor.Scope();
        var p = Tensor.FromArray([1f, 2f, 3f], [3], Device.Cpu, requiresGrad: true);
        var q = Tensor.FromArray([4f, 5f], [2], Device.Cpu, requiresGrad: true);
        using var adam = new Adam([p, q], lr: 0.01f, beta1: 0.8f);
        Assert.Equal(["param_groups.0.betas", "param_groups.0.eps", "param_groups.0.lr", "param_groups.0.params",
            "param_groups.0.step_count", "param_groups.0.weight_decay"], adam.StateDict().Keys.Order());
        (p * p).Sum().Backward();
        adam.Step();
        var state = adam.StateDict();
        // q had no gradient: no state, as in torch.
        Assert.Equal(["state.0.exp_avg", "state.0.exp_avg_sq", "state.0.step"],
            state.Keys.Where(k => k.StartsWith("state.", StringComparison.Ordinal)).Order());
        Assert.Equal(1f, state["state.0.step"].Item());
        Assert.Equal([0.8, 0.999], state["param_groups.0.betas"].ToDoubleArray().Select(v => Math.Round(v, 6)));

        var p2 = Tensor.Zeros([3], Device.Cpu, requiresGrad: true);
        var q2 = Tensor.Zeros([2], Device.Cpu, requiresGrad: true);
        using var other = new Adam([p2, q2], lr: 0.5f);
        other.LoadStateDict(state);
        Assert.Equal(0.01f, other.LearningRate);
        Assert.Equal(0.8f, other.Beta1);
        Assert.Equal(1, other.StepCount);
        var again = other.StateDict();
        Assert.Equal(state.Keys.Order(), again.Keys.Order());
        foreach (var (key, value) in state)
        {
            Assert.Equal(value.ToDoubleArray(), again[key].ToDoubleArray());
        }
    }

    [Fact]
    public void Mismatched_state_is_refused_with_every_problem_named()
    {
        using var tensors = Tensor.Scope();
        var p = Tensor.FromArray([1f, 2f, 3f], [3], Device.Cpu, requiresGrad: true);
        using var sgd = new Sgd([p], 0.1f, momentum: 0.9f);
        (p * p).Sum().Backward();
        sgd.Step();
        var state = sgd.StateDict();

        var wide = Tensor.Zeros([4], Device.Cpu, requiresGrad: true);
        var extra = Tensor.Zeros([1], Device.Cpu, requiresGrad: true);
        using var twoParameters = new Sgd([wide, extra], 0.1f, momentum: 0.9f);
        var e = Assert.Throws<ArgumentException>(() => twoParameters.LoadStateDict(state));
        Assert.Contains("the state dict is for 1 parameter(s), this optimizer has 2", e.Message,
            StringComparison.Ordinal);
        Assert.Contains("'state.0.momentum_buffer' has shape (3,) but parameter 0 needs (4,)", e.Message,
            StringComparison.Ordinal);

        using var adam = new Adam([Tensor.Zeros([3], Device.Cpu, requiresGrad: true)]);
        e = Assert.Throws<ArgumentException>(() => adam.LoadStateDict(state));
        Assert.Contains("missing key 'param_groups.0.betas'", e.Message, StringComparison.Ordinal);
        Assert.Contains("unexpected key 'param_groups.0.momentum'", e.Message, StringComparison.Ordinal);
        Assert.Contains("unexpected key 'state.0.momentum_buffer'", e.Message, StringComparison.Ordinal);

        var partial = new Dictionary<string, Tensor>(adam.StateDict())
        {
            ["state.0.exp_avg"] = Tensor.Zeros([3], Device.Cpu),
        };
        e = Assert.Throws<ArgumentException>(() => adam.LoadStateDict(partial));
        Assert.Contains("parameter 0 has only exp_avg of exp_avg, exp_avg_sq, step", e.Message,
            StringComparison.Ordinal);

        var before = p.ToArray();
        float lr = sgd.LearningRate;
        var bad = new Dictionary<string, Tensor>(state)
        {
            ["param_groups.0.lr"] = Tensor.FromArray([double.NaN], [], Device.Cpu),
        };
        e = Assert.Throws<ArgumentException>(() => sgd.LoadStateDict(bad));
        Assert.Contains("'param_groups.0.lr' is NaN", e.Message, StringComparison.Ordinal);
        Assert.Equal(lr, sgd.LearningRate);
        Assert.Equal(before, p.ToArray());
    }

    [Fact]
    public void Checkpoint_without_an_epoch_or_optimizer_state_is_refused()
    {
        using var tensors = Tensor.Scope();
        string path = Path.Combine(Path.GetTempPath(), $"checkpoint-{Guid.NewGuid():N}.safetensors");
        try
        {
            using var model = new Mlp(2, [3], 1, device: Device.Cpu);
            Safetensors.Save(path, model.StateDict());
            var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model, null));
            Assert.Contains("no integer 'epoch'", e.Message, StringComparison.Ordinal);

            Checkpoint.Save(path, model, null, 3, new Dictionary<string, string> { ["note"] = "warm-up" });
            using var optimizer = new Sgd(model.Parameters(), 0.1f);
            e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model, optimizer));
            Assert.Contains("no optimizer state", e.Message, StringComparison.Ordinal);
            Assert.Equal(3, Checkpoint.Load(path, model, null, out var metadata));
            Assert.Equal("warm-up", metadata["note"]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A fixed batch: 8 rows of 4 features, 3 targets.</summary>
    internal static (Tensor X, Tensor Y) Batch(Device device) =>
        (Tensor.Randn([8, 4], seed: 5, device: device), Tensor.Randn([8, 3], seed: 6, device: device));

    private static Optimizer Build(string kind, Module model) => kind switch
    {
        "sgd" => new Sgd(model.Parameters(), 0.05f, momentum: 0.9f, weightDecay: 1e-3f, nesterov: true),
        "adam" => new Adam(model.Parameters(), 0.01f, weightDecay: 1e-3f),
        _ => new AdamW(model.Parameters(), 0.01f),
    };

    private static void Train(Module model, Optimizer optimizer, Tensor x, Tensor y, int steps)
    {
        for (int i = 0; i < steps; i++)
        {
            using (Tensor.Scope())
            {
                optimizer.ZeroGrad();
                Functional.Mse(model.Forward(x), y).Backward();
                optimizer.Step();
            }
        }
    }

    private static void SetGradients(Tensor[] parameters, float[][] grads)
    {
        using (Tensor.Scope())
        {
            Tensor? loss = null;
            for (int i = 0; i < parameters.Length; i++)
            {
                // d/dp Σ p·g = g exactly.
                var term = (parameters[i] * Tensor.FromArray(grads[i], parameters[i].Shape, parameters[i].Device))
                    .Sum();
                loss = loss is null ? term : loss + term;
            }
            loss!.Backward();
        }
    }

    private static Optimizer Create(string kind, JsonElement args, Tensor[] parameters)
    {
        float Get(string key, float fallback) =>
            args.TryGetProperty(key, out var value) ? (float)value.GetDouble() : fallback;
        float beta1 = 0.9f, beta2 = 0.999f;
        if (args.TryGetProperty("betas", out var betas))
        {
            beta1 = (float)betas[0].GetDouble();
            beta2 = (float)betas[1].GetDouble();
        }
        return kind switch
        {
            "sgd" => new Sgd(parameters, Get("lr", float.NaN), Get("momentum", 0f), Get("weight_decay", 0f),
                Get("dampening", 0f), args.TryGetProperty("nesterov", out var n) && n.GetBoolean()),
            "adam" => new Adam(parameters, Get("lr", 1e-3f), beta1, beta2, Get("eps", 1e-8f), Get("weight_decay", 0f)),
            "adamw" => new AdamW(parameters, Get("lr", 1e-3f), beta1, beta2, Get("eps", 1e-8f),
                Get("weight_decay", 0.01f)),
            _ => throw new NotSupportedException($"optimizer kind '{kind}'"),
        };
    }
}

/// <summary>tests/goldens/train_goldens.json (tests/goldens/generate_train_goldens.py).</summary>
internal static class TrainGoldens
{
    private static readonly Lazy<JsonDocument> Document = new(() => Goldens.Load("train_goldens.json"));

    /// <summary>The parsed file.</summary>
    public static JsonElement Root => Document.Value.RootElement;
}
