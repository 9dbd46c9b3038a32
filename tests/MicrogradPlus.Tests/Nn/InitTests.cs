using MicrogradPlus.Nn;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Nn;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// Nn.Init against tests/goldens/layers_goldens.json: the bound or standard deviation each initialiser must reach
/// (torch's own fan and gain functions computed them), checked statistically on a few thousand draws, and the same
/// values for the same seed on every device.
/// </summary>
public sealed class InitTests
{
    private static Tensor Run(string fn, Tensor t, System.Text.Json.JsonElement args, ulong? seed)
    {
        double Arg(string name, double fallback) =>
            args.TryGetProperty(name, out var v) ? v.GetDouble() : fallback;
        var mode = args.TryGetProperty("mode", out var m) && m.GetString() == "fan_out" ? FanMode.FanOut : FanMode.FanIn;
        var nonlinearity = args.TryGetProperty("nonlinearity", out var n)
            ? n.GetString() switch
            {
                "relu" => Nonlinearity.Relu,
                "tanh" => Nonlinearity.Tanh,
                "leaky_relu" => Nonlinearity.LeakyRelu,
                var other => throw new ArgumentException($"nonlinearity {other}"),
            }
            : Nonlinearity.LeakyRelu;
        return fn switch
        {
            "kaiming_uniform" => Init.KaimingUniform(t, Arg("a", 0), mode, nonlinearity, seed),
            "kaiming_normal" => Init.KaimingNormal(t, Arg("a", 0), mode, nonlinearity, seed),
            "xavier_uniform" => Init.XavierUniform(t, Arg("gain", 1), seed),
            "xavier_normal" => Init.XavierNormal(t, Arg("gain", 1), seed),
            "uniform" => Init.Uniform(t, Arg("a", 0), Arg("b", 1), seed),
            "normal" => Init.Normal(t, Arg("mean", 0), Arg("std", 1), seed),
            _ => throw new ArgumentException($"init function {fn}"),
        };
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Initialisers_reach_torch_bounds_and_spreads(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var failures = new List<string>();
        ulong seed = 100;
        foreach (var golden in LayersGoldens.Section("init", 10))
        {
            using var tensors = Tensor.Scope();
            string name = golden.GetProperty("name").GetString()!, fn = golden.GetProperty("fn").GetString()!;
            int[] shape = LayersGoldens.Ints(golden.GetProperty("shape"));
            var (fanIn, fanOut) = Init.Fans(shape);
            Assert.Equal(golden.GetProperty("fan_in").GetInt32(), fanIn);
            Assert.Equal(golden.GetProperty("fan_out").GetInt32(), fanOut);

            var parameter = Tensor.Zeros(shape, scope.Device, requiresGrad: true);
            Assert.Same(parameter, Run(fn, parameter, golden.GetProperty("args"), seed++));
            Assert.True(parameter.RequiresGrad && parameter.IsLeaf && parameter.Grad is null);
            double[] v = parameter.ToDoubleArray();
            double mean = v.Average();
            double std = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1));
            double expectedStd = golden.GetProperty("std").GetDouble();
            double expectedMean = golden.GetProperty("args").TryGetProperty("mean", out var mu) ? mu.GetDouble()
                : fn == "uniform" ? (golden.GetProperty("args").GetProperty("a").GetDouble() +
                                     golden.GetProperty("args").GetProperty("b").GetDouble()) / 2
                : 0;
            // n ≥ 2560 draws: the sample mean's standard error is std/√n ≤ 2% of std, the sample std's about
            // 1.4% (normal) or 0.9% (uniform): 6σ-ish bounds, loose enough never to flake, tight enough to catch a
            // wrong fan (√2 apart at least between the cases' fans) or a wrong gain.
            if (Math.Abs(mean - expectedMean) > 0.12 * expectedStd)
            {
                failures.Add($"{name}: mean {mean}, expected {expectedMean} ± {0.12 * expectedStd}");
            }
            if (Math.Abs(std / expectedStd - 1) > 0.07)
            {
                failures.Add($"{name}: std {std}, expected {expectedStd} (torch's draw: " +
                             $"{golden.GetProperty("torch_std").GetDouble()})");
            }
            if (golden.TryGetProperty("bound", out var boundJson))
            {
                double bound = boundJson.GetDouble();
                if (v.Min() < -bound * (1 + 1e-6) || v.Max() > bound * (1 + 1e-6))
                {
                    failures.Add($"{name}: range {v.Min()}..{v.Max()} leaves ±{bound}");
                }
                // uniform: the extremes come within 1% of the bound, as torch's draw did
                if (v.Max() < 0.99 * bound || v.Min() > -0.99 * bound)
                {
                    failures.Add($"{name}: range {v.Min()}..{v.Max()} does not reach ±{bound} " +
                                 $"(torch: {golden.GetProperty("torch_min").GetDouble()}.." +
                                 $"{golden.GetProperty("torch_max").GetDouble()})");
                }
            }
            if (fn == "uniform")
            {
                double a = golden.GetProperty("args").GetProperty("a").GetDouble();
                double b = golden.GetProperty("args").GetProperty("b").GetDouble();
                if (v.Min() < a || v.Max() >= b)
                {
                    failures.Add($"{name}: range {v.Min()}..{v.Max()} leaves [{a}, {b})");
                }
            }
        }
        Assert.True(failures.Count == 0, $"{deviceName}:\n" + string.Join("\n", failures));
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void A_seed_gives_the_same_values_on_every_device_and_manual_seed_reproduces_unseeded_draws(
        string deviceName)
    {
        using var tensors = Tensor.Scope();
        float[] uniform, normal;
        using (var host = new Linear(20, 30, device: Device.Cpu, seed: 1))
        {
            uniform = Init.KaimingUniform(host.Weight, seed: 77).ToArray();
            normal = Init.KaimingNormal(host.Weight, nonlinearity: Nonlinearity.Relu, seed: 77).ToArray();
        }
        using var scope = TestDevices.Use(deviceName);
        var w = Tensor.Zeros([30, 20], scope.Device);
        // Uniform draws are integer arithmetic and one multiply: bit for bit. Normal draws go through the device's
        // log and cos (Box–Muller), which OpenCL and CUDA round within an ulp or two of .NET's.
        Assert.Equal(uniform, Init.KaimingUniform(w, seed: 77).ToArray());
        Assert.NotEqual(uniform, Init.KaimingUniform(w, seed: 78).ToArray());
        Assert.Equal(normal, Init.KaimingNormal(w, nonlinearity: Nonlinearity.Relu, seed: 77).ToArray(),
            (a, b) => Math.Abs(a - b) <= 1e-6f * (1 + Math.Abs(a)));

        Tensor.ManualSeed(42);
        float[] first = Init.XavierUniform(w).ToArray(), second = Init.XavierUniform(w).ToArray();
        Tensor.ManualSeed(42);
        Assert.Equal(first, Init.XavierUniform(w).ToArray());
        Assert.Equal(second, Init.XavierUniform(w).ToArray());
        Assert.NotEqual(first, second);

        Assert.All(Init.Constant(w, 0.25).ToArray(), v => Assert.Equal(0.25f, v));
        Assert.All(Init.Ones(w).ToArray(), v => Assert.Equal(1f, v));
        Assert.All(Init.Zeros(w).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Gains_and_fans_follow_torch_and_bad_shapes_are_named()
    {
        Assert.Equal(1.0, Init.CalculateGain(Nonlinearity.Linear));
        Assert.Equal(5.0 / 3, Init.CalculateGain(Nonlinearity.Tanh));
        Assert.Equal(Math.Sqrt(2), Init.CalculateGain(Nonlinearity.Relu));
        Assert.Equal(Math.Sqrt(2 / 1.0001), Init.CalculateGain(Nonlinearity.LeakyRelu), 12);
        Assert.Equal(Math.Sqrt(2 / 6.0), Init.CalculateGain(Nonlinearity.LeakyRelu, Math.Sqrt(5)), 12);
        Assert.Equal(0.75, Init.CalculateGain(Nonlinearity.Selu));
        Assert.Equal((12, 20), Init.Fans([5, 3, 4]));
        using var tensors = Tensor.Scope();
        var e = Assert.Throws<ArgumentException>(() => Init.KaimingUniform(Tensor.Zeros([7], Device.Cpu)));
        Assert.Contains("(7,)", e.Message, StringComparison.Ordinal);
        Assert.Contains("at least 2 dimensions", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Init.Uniform(Tensor.Zeros([2], Device.Cpu), 1, 0));
    }
}
