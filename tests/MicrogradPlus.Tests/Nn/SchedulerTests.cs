using System.Globalization;
using System.Text.Json;
using MicrogradPlus.Nn;
using MicrogradPlus.Optim;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Nn;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// The learning-rate schedulers against torch's rate per step (tests/goldens/train_goldens.json), and the gradient
/// accumulation recipe of README.md.
/// </summary>
public class SchedulerTests
{
    // The factors are float32 here and float64 in torch (1e-7 relative each), and the optimizer holds a float32 rate.
    private const double Rtol = 1e-6;
    private const double Atol = 1e-12;

    [Fact]
    public void Rates_match_pytorch_step_by_step()
    {
        var failures = new List<string>();
        var kinds = new HashSet<string>();
        foreach (var golden in TrainGoldens.Root.GetProperty("schedulers").EnumerateArray())
        {
            string name = golden.GetProperty("name").GetString()!;
            string kind = golden.GetProperty("kind").GetString()!;
            var args = golden.GetProperty("args");
            double[] rates = NnGoldens.Doubles(golden.GetProperty("rates"));
            kinds.Add(kind);
            using var tensors = Tensor.Scope();
            var p = Tensor.Zeros([1], Device.Cpu, requiresGrad: true);
            using var optimizer = new Sgd([p], (float)golden.GetProperty("lr").GetDouble());
            if (kind == "plateau")
            {
                var plateau = new ReduceLROnPlateau(optimizer,
                    args.GetProperty("mode").GetString() == "min" ? PlateauMode.Min : PlateauMode.Max,
                    (float)args.GetProperty("factor").GetDouble(), args.GetProperty("patience").GetInt32(),
                    (float)args.GetProperty("threshold").GetDouble(),
                    args.GetProperty("threshold_mode").GetString() == "rel", args.GetProperty("cooldown").GetInt32(),
                    (float)args.GetProperty("min_lr").GetDouble());
                double[] metrics = NnGoldens.Doubles(args.GetProperty("metrics"));
                Expect(failures, $"{name}: rate at start", optimizer.LearningRate, rates[0]);
                for (int e = 1; e < rates.Length; e++)
                {
                    optimizer.Step();
                    plateau.Step(metrics[e - 1]);
                    Expect(failures, $"{name}: rate after {e} Step()", optimizer.LearningRate, rates[e]);
                }
                continue;
            }
            var schedule = Build(optimizer, kind, args);
            Expect(failures, $"{name}: rate once built", optimizer.LearningRate, rates[0]);
            for (int e = 0; e < rates.Length; e++)
            {
                Expect(failures, $"{name}: RateAt({e})", schedule.RateAt(e), rates[e]);
                if (e > 0)
                {
                    optimizer.Step();
                    schedule.Step();
                    Expect(failures, $"{name}: rate after {e} Step()", optimizer.LearningRate, rates[e]);
                }
            }
        }
        Assert.Equal(["exponential", "lambda", "linear", "onecycle", "plateau", "sequential"], kinds.Order());
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Bad_settings_are_refused_with_the_reason()
    {
        using var tensors = Tensor.Scope();
        var p = Tensor.Zeros([1], Device.Cpu, requiresGrad: true);
        using var optimizer = new Sgd([p], 0.1f);
        using var other = new Sgd([p], 0.1f);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinearLR(optimizer, startFactor: 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OneCycleLR(optimizer, 0.1f, 10, pctStart: 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateau(optimizer, factor: 1f));
        var cosine = new CosineSchedule(optimizer, 10);
        var e = Assert.Throws<ArgumentException>(() => new SequentialLR(optimizer, [cosine], [3]));
        Assert.Contains("1 schedule(s) and 1 milestone(s)", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() =>
            new SequentialLR(other, [new ExponentialLR(other, 0.9f), cosine], [3]));
        Assert.Contains("schedule 1 (CosineSchedule) sets the rate of another optimizer", e.Message,
            StringComparison.Ordinal);
        var oneCycle = new OneCycleLR(optimizer, 0.1f, 10);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => oneCycle.RateAt(11));
        Assert.Contains("built for 10 steps", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Gradient_accumulation_as_in_the_readme_equals_one_full_batch_step()
    {
        using var tensors = Tensor.Scope();
        var x = Tensor.Randn([8, 4], seed: 11, device: Device.Cpu);
        var y = Tensor.Randn([8, 2], seed: 12, device: Device.Cpu);
        using var full = new Mlp(4, [5], 2, device: Device.Cpu, seed: 3);
        using var fullOptimizer = new Sgd(full.Parameters(), 0.1f);
        Functional.Mse(full.Forward(x), y).Backward();
        fullOptimizer.Step();

        using var model = new Mlp(4, [5], 2, device: Device.Cpu, seed: 3);
        using var optimizer = new Sgd(model.Parameters(), 0.1f);
        var microBatches = Enumerable.Range(0, 4)
            .Select(i => (X: x.Slice(0, 2 * i, 2 * i + 2), Y: y.Slice(0, 2 * i, 2 * i + 2))).ToList();
        // README.md, "Gradient accumulation":
        int accumulate = microBatches.Count;          // micro-batches per optimizer step
        optimizer.ZeroGrad();
        foreach (var (xb, yb) in microBatches)
        {
            using (Tensor.Scope())
            {
                var loss = Functional.Mse(model.Forward(xb), yb) / accumulate;   // average over the big batch
                loss.Backward();                      // gradients add up in .Grad
            }
        }
        optimizer.Step();
        optimizer.ZeroGrad();

        foreach (var ((name, a), (_, b)) in full.NamedParameters().Zip(model.NamedParameters()))
        {
            var want = a.ToArray();
            var got = b.ToArray();
            for (int k = 0; k < want.Length; k++)
            {
                Assert.True(Math.Abs(want[k] - got[k]) <= 1e-6f, $"{name}[{k}]: full batch {want[k]}, accumulated {got[k]}");
            }
        }
    }

    private static LearningRateSchedule Build(Optimizer optimizer, string kind, JsonElement args)
    {
        float F(string key) => (float)args.GetProperty(key).GetDouble();
        float Or(string key, float fallback) =>
            args.TryGetProperty(key, out var value) ? (float)value.GetDouble() : fallback;
        return kind switch
        {
            "linear" => new LinearLR(optimizer, F("start_factor"), F("end_factor"), args.GetProperty("total_iters")
                .GetInt32()),
            "exponential" => new ExponentialLR(optimizer, F("gamma")),
            "cosine" => new CosineSchedule(optimizer, args.GetProperty("t_max").GetInt32(), F("eta_min")),
            "step" => new StepSchedule(optimizer, args.GetProperty("step_size").GetInt32(), F("gamma")),
            "lambda" => new LambdaLR(optimizer, args.GetProperty("fn").GetString() switch
            {
                "pow 0.95" => e => Math.Pow(0.95, e),
                "warmup 5" => e => Math.Min(1.0, (e + 1) / 5.0),
                var fn => throw new NotSupportedException($"lambda '{fn}'"),
            }),
            "onecycle" => new OneCycleLR(optimizer, F("max_lr"), args.GetProperty("total_steps").GetInt32(),
                Or("pct_start", 0.3f),
                args.TryGetProperty("anneal", out var a) && a.GetString() == "linear"
                    ? AnnealStrategy.Linear : AnnealStrategy.Cos,
                Or("div_factor", 25f), Or("final_div_factor", 1e4f),
                args.TryGetProperty("three_phase", out var t) && t.GetBoolean()),
            "sequential" => new SequentialLR(optimizer,
                [.. args.GetProperty("schedulers").EnumerateArray()
                    .Select(c => Build(optimizer, c.GetProperty("kind").GetString()!, c.GetProperty("args")))],
                [.. args.GetProperty("milestones").EnumerateArray().Select(m => m.GetInt32())]),
            _ => throw new NotSupportedException($"scheduler kind '{kind}'"),
        };
    }

    private static void Expect(List<string> failures, string what, double actual, double expected)
    {
        if (!(Math.Abs(actual - expected) <= Atol + Rtol * Math.Abs(expected)))
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture,
                $"{what}: expected {expected:R}, got {actual:R}"));
        }
    }
}
