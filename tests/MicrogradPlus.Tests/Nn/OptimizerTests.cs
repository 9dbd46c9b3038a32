using System.Globalization;
using System.Text.Json;
using MicrogradPlus.Optim;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Nn;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// The optimizers and schedules against tests/goldens/nn_goldens.json (tests/goldens/generate_nn_goldens.py, torch
/// 1.13). Each case gives starting parameters and a fixed gradient per step; the test makes exactly that gradient
/// with a backward of sum(p · g), steps, and compares the parameters after every step, so only the update rule is
/// under test.
/// </summary>
public class OptimizerTests
{
    // torch runs the same float32 arithmetic in a slightly different order (it divides m by the denominator before
    // scaling by the step size, and rounds 1 − β in double). Measured: at most 4e-7 relative, except where a
    // parameter of size ~1 lands near 0 — there the difference stays under 6e-8 absolute, half an ulp of 1.
    private const double Rtol = 1e-6;
    private const double Atol = 1e-7;

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Updates_match_pytorch_step_by_step(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var failures = new List<string>();
        int cases = 0;
        foreach (var golden in NnGoldens.Root.GetProperty("optimizers").EnumerateArray())
        {
            RunCase(golden, scope.Device, failures);
            cases++;
        }
        Assert.True(cases >= 13, $"nn_goldens.json holds only {cases} optimizer cases");
        Assert.True(failures.Count == 0,
            $"{failures.Count} mismatches on {deviceName}:\n" + string.Join("\n", failures.Take(40)));
    }

    [Fact]
    public void Schedules_match_pytorch_over_ten_epochs()
    {
        var failures = new List<string>();
        foreach (var golden in NnGoldens.Root.GetProperty("schedules").EnumerateArray())
        {
            string name = golden.GetProperty("name").GetString()!;
            var args = golden.GetProperty("args");
            double[] rates = NnGoldens.Doubles(golden.GetProperty("rates"));
            using var tensors = Tensor.Scope();
            var p = Tensor.Zeros([1], Device.Cpu, requiresGrad: true);
            using var optimizer = new Sgd([p], (float)golden.GetProperty("lr").GetDouble());
            LearningRateSchedule schedule = golden.GetProperty("kind").GetString() switch
            {
                "step" => new StepSchedule(optimizer, args.GetProperty("step_size").GetInt32(),
                    (float)args.GetProperty("gamma").GetDouble()),
                "cosine" => new CosineSchedule(optimizer, args.GetProperty("t_max").GetInt32(),
                    (float)args.GetProperty("eta_min").GetDouble()),
                var kind => throw new NotSupportedException($"schedule kind '{kind}'"),
            };
            for (int epoch = 0; epoch < rates.Length; epoch++)
            {
                // Gamma and η_min are float32 here and float64 in torch: a relative difference near 1e-7 per factor.
                Expect(failures, $"{name}: RateAt({epoch})", schedule.RateAt(epoch), rates[epoch], 1e-6, 1e-12);
                if (epoch > 0)
                {
                    optimizer.Step();
                    schedule.Step();
                    Assert.Equal(epoch, schedule.Epoch);
                    Expect(failures, $"{name}: LearningRate after {epoch} Step()", optimizer.LearningRate,
                        rates[epoch], 1e-6, 1e-12);
                }
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Bad_settings_and_parameters_are_refused_with_the_reason()
    {
        using var tensors = Tensor.Scope();
        var p = Tensor.Zeros([3], Device.Cpu, requiresGrad: true);
        var e = Assert.Throws<ArgumentException>(() => new Sgd([p], 0.1f, nesterov: true));
        Assert.Contains("Nesterov", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Sgd([p], 0.1f, momentum: 0.9f, dampening: 0.1f, nesterov: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([p], 0.1f, momentum: -0.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam([p], beta1: 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW([p], weightDecay: -0.1f));
        Assert.Throws<ArgumentException>(() => new Adam([]));
        using var optimizer = new Sgd([p], 0.1f);
        Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.LearningRate = float.NaN);

        var wide = Tensor.Zeros([2, 2], Device.Cpu, DType.Float64, requiresGrad: true);
        e = Assert.Throws<ArgumentException>(() => new Adam([p, wide]));
        Assert.Contains("Float64", e.Message, StringComparison.Ordinal);
        Assert.Contains("(2, 2)", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Step_without_gradients_changes_nothing_and_zero_grad_drops_them(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var p = Tensor.FromArray([1f, -2f, 3f], [3], scope.Device, requiresGrad: true);
        using var optimizer = new Adam([p], lr: 0.5f);
        optimizer.Step();
        Assert.Equal([1f, -2f, 3f], p.ToArray());
        Assert.Equal(1, optimizer.StepCount);

        (p * p).Sum().Backward();
        Assert.NotNull(p.Grad);
        optimizer.ZeroGrad();
        Assert.Null(p.Grad);
    }

    private static void RunCase(JsonElement golden, Device device, List<string> failures)
    {
        string name = golden.GetProperty("name").GetString()!;
        using var tensors = Tensor.Scope();
        var parameters = golden.GetProperty("params").EnumerateArray()
            .Select(p => Tensor.FromArray(NnGoldens.Floats(p.GetProperty("data")), NnGoldens.Shape(p), device,
                requiresGrad: true))
            .ToArray();
        using var optimizer = Create(golden, parameters);
        var grads = golden.GetProperty("grads").EnumerateArray().ToArray();
        var after = golden.GetProperty("after").EnumerateArray().ToArray();
        for (int step = 0; step < grads.Length; step++)
        {
            using (Tensor.Scope())
            {
                // d/dp Σ p·g = g exactly; a parameter whose golden gradient is null gets none (the step skips it).
                Tensor? loss = null;
                int i = 0;
                foreach (var grad in grads[step].EnumerateArray())
                {
                    if (grad.ValueKind != JsonValueKind.Null)
                    {
                        var g = Tensor.FromArray(NnGoldens.Floats(grad), parameters[i].Shape, device);
                        var term = (parameters[i] * g).Sum();
                        loss = loss is null ? term : loss + term;
                    }
                    i++;
                }
                loss?.Backward();
            }
            optimizer.Step();
            optimizer.ZeroGrad();
            int index = 0;
            foreach (var expected in after[step].EnumerateArray())
            {
                var actual = parameters[index].ToArray();
                var want = NnGoldens.Doubles(expected);
                for (int k = 0; k < want.Length; k++)
                {
                    Expect(failures, $"{name}: step {step + 1}, parameter {index}, element {k}", actual[k], want[k],
                        Rtol, Atol);
                }
                index++;
            }
        }
    }

    /// <summary>The optimizer a case names; an empty args object means the library's own defaults.</summary>
    private static Optimizer Create(JsonElement golden, Tensor[] parameters)
    {
        var args = golden.GetProperty("args");
        float Get(string key, float fallback) =>
            args.TryGetProperty(key, out var value) ? (float)value.GetDouble() : fallback;
        bool empty = !args.EnumerateObject().Any();
        float beta1 = 0.9f, beta2 = 0.999f;
        if (args.TryGetProperty("betas", out var betas))
        {
            beta1 = (float)betas[0].GetDouble();
            beta2 = (float)betas[1].GetDouble();
        }
        return golden.GetProperty("kind").GetString() switch
        {
            "sgd" => new Sgd(parameters, Get("lr", float.NaN), Get("momentum", 0f), Get("weight_decay", 0f),
                Get("dampening", 0f), args.TryGetProperty("nesterov", out var n) && n.GetBoolean()),
            "adam" when empty => new Adam(parameters),
            "adam" => new Adam(parameters, Get("lr", 1e-3f), beta1, beta2, Get("eps", 1e-8f), Get("weight_decay", 0f)),
            "adamw" when empty => new AdamW(parameters),
            "adamw" => new AdamW(parameters, Get("lr", 1e-3f), beta1, beta2, Get("eps", 1e-8f),
                Get("weight_decay", 0.01f)),
            var kind => throw new NotSupportedException($"optimizer kind '{kind}'"),
        };
    }

    private static void Expect(List<string> failures, string what, double actual, double expected, double rtol,
        double atol)
    {
        if (!(Math.Abs(actual - expected) <= atol + rtol * Math.Abs(expected)))
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture,
                $"{what}: expected {expected:R}, got {actual:R} (diff {actual - expected:G3})"));
        }
    }
}

/// <summary>tests/goldens/nn_goldens.json (see <see cref="Goldens"/>).</summary>
internal static class NnGoldens
{
    private static readonly Lazy<JsonDocument> Document = new(Load);

    /// <summary>The parsed file.</summary>
    public static JsonElement Root => Document.Value.RootElement;

    /// <summary>A JSON array of numbers as floats (the goldens hold float32 values exactly).</summary>
    public static float[] Floats(JsonElement array) => [.. array.EnumerateArray().Select(v => (float)v.GetDouble())];

    /// <summary>A JSON array of numbers as doubles.</summary>
    public static double[] Doubles(JsonElement array) => [.. array.EnumerateArray().Select(v => v.GetDouble())];

    /// <summary>The "shape" of a {shape, data} object.</summary>
    public static int[] Shape(JsonElement tensor) =>
        [.. tensor.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32())];

    private static JsonDocument Load() => Goldens.Load("nn_goldens.json");
}
