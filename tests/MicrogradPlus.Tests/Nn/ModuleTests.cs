using System.Diagnostics;
using MicrogradPlus.Data;
using MicrogradPlus.Nn;
using MicrogradPlus.Optim;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Nn;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// Linear, Mlp, Sequential, Dropout and Module: initialisation, forward, parameter names, train/eval, state dicts and
/// their errors, safetensors round trips (ours and the reference library's files), and one real training run.
/// </summary>
public sealed class ModuleTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("microgradplus-modules-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Linear_init_lies_within_the_bound_and_is_the_same_for_a_seed_on_every_device(string deviceName)
    {
        using var tensors = Tensor.Scope();
        // The reference is drawn before the device scope, so it comes from the CPU device as users get it.
        float[] referenceWeight, referenceBias;
        using (var reference = new Linear(16, 32, device: Device.Cpu, seed: 42))
        {
            referenceWeight = reference.Weight.ToArray();
            referenceBias = reference.Bias!.ToArray();
        }
        using var scope = TestDevices.Use(deviceName);
        using var layer = new Linear(16, 32, device: scope.Device, seed: 42);
        using var other = new Linear(16, 32, device: scope.Device, seed: 43);

        Assert.Equal([32, 16], layer.Weight.Shape);
        Assert.Equal([32], layer.Bias!.Shape);
        Assert.Same(scope.Device, layer.Weight.Device);
        Assert.True(layer.Weight.RequiresGrad && layer.Bias.RequiresGrad);
        float[] weight = layer.Weight.ToArray(), bias = layer.Bias.ToArray();
        float bound = 1f / MathF.Sqrt(16);
        Assert.All(weight.Concat(bias), v => Assert.InRange(v, -bound, bound));
        // uniform, not a corner of the range: 512 draws reach both ends and centre near 0
        Assert.True(weight.Min() < -0.9f * bound && weight.Max() > 0.9f * bound,
            $"range {weight.Min()}..{weight.Max()}");
        Assert.InRange(weight.Average(), -0.1 * bound, 0.1 * bound);

        Assert.Equal(referenceWeight, weight);
        Assert.Equal(referenceBias, bias);
        Assert.NotEqual(weight, other.Weight.ToArray());
        Assert.NotEqual(weight[..32], bias);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Linear_forward_is_x_times_w_transposed_plus_b(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        using var layer = new Linear(5, 3, device: scope.Device, seed: 7);
        using var noBias = new Linear(5, 3, bias: false, device: scope.Device, seed: 7);
        var x = Tensor.Randn([4, 5], seed: 3, device: scope.Device);
        float[] w = layer.Weight.ToArray(), b = layer.Bias!.ToArray(), xs = x.ToArray();

        var y = layer.Forward(x).ToArray();
        var yNoBias = noBias.Forward(x).ToArray();
        Assert.Null(noBias.Bias);
        Assert.Single(noBias.Parameters());
        for (int n = 0; n < 4; n++)
        {
            for (int o = 0; o < 3; o++)
            {
                double dot = 0;
                for (int i = 0; i < 5; i++)
                {
                    dot += (double)xs[n * 5 + i] * w[o * 5 + i];
                }
                Assert.Equal(dot + b[o], y[n * 3 + o], 1e-5);
                Assert.Equal(dot, yNoBias[n * 3 + o], 1e-5);
            }
        }
        Assert.Equal([2, 3], layer.Forward(Tensor.Ones([2, 5], scope.Device)).Shape);
        Assert.Equal("Linear(in_features=5, out_features=3, bias=True)", layer.ToString());
    }

    /// <summary>
    /// Functional.Linear (one launch: the product adds the bias as it stores) gives the values and gradients of the
    /// composed x·Wᵀ + b for inputs of rank 1, 2 and 3, with and without a bias, and names the shapes that do not fit.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Functional_linear_matches_the_composed_product_and_its_gradients(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        using var tensors = Tensor.Scope();
        ulong seed = 20;
        foreach (int[] inputShape in new[] { new[] { 5 }, [4, 5], [2, 3, 5] })
        {
            foreach (bool hasBias in new[] { true, false })
            {
                Tensor Leaf(int[] shape) =>
                    Tensor.Randn(shape, seed: seed++, device: device, dtype: DType.Float64, requiresGrad: true);
                var (x, w, b) = (Leaf(inputShape), Leaf([3, 5]), hasBias ? Leaf([3]) : null);
                Tensor Copy(Tensor t)
                {
                    var copy = t.Detach();
                    copy.RequiresGrad = true;
                    return copy;
                }
                var (x2, w2, b2) = (Copy(x), Copy(w), b is null ? null : Copy(b));
                var fused = Functional.Linear(x, w, b);
                var composed = x2.MatMul(w2.Transpose(0, 1));
                composed = b2 is null ? composed : composed + b2;
                string context = $"linear [{string.Join(", ", inputShape)}], bias {hasBias}";
                Assert.Equal(composed.Shape, fused.Shape);
                Close(composed.ToDoubleArray(), fused.ToDoubleArray(), context);
                var g = Tensor.Randn(fused.Shape, seed: seed++, device: device, dtype: DType.Float64);
                fused.Backward(g);
                composed.Backward(g);
                Close(x2.Grad!.ToDoubleArray(), x.Grad!.ToDoubleArray(), context + " dx");
                Close(w2.Grad!.ToDoubleArray(), w.Grad!.ToDoubleArray(), context + " dW");
                if (b is not null)
                {
                    Close(b2!.Grad!.ToDoubleArray(), b.Grad!.ToDoubleArray(), context + " db");
                }
            }
        }
        var input = Tensor.Zeros([4, 5], device);
        var e = Assert.Throws<ArgumentException>(() => Functional.Linear(input, Tensor.Zeros([3, 6], device)));
        Assert.Contains("(4, 5)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(3, 6)", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() =>
            Functional.Linear(input, Tensor.Zeros([3, 5], device), Tensor.Zeros([4], device)));
        Assert.Contains("(4,)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(3,)", e.Message, StringComparison.Ordinal);

        static void Close(double[] expected, double[] actual, string what)
        {
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-12 * (1 + Math.Abs(expected[i])),
                    $"{what}[{i}]: {actual[i]}, expected {expected[i]}");
            }
        }
    }

    [Fact]
    public void Mlp_parameters_are_named_like_torch_sequential()
    {
        using var model = new Mlp(2, [16, 8], 3, device: Device.Cpu);
        var named = model.NamedParameters().ToArray();
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"], named.Select(p => p.Name));
        Assert.Equal([[16, 2], [16], [8, 16], [8], [3, 8], [3]], named.Select(p => p.Value.Shape));
        Assert.Equal(2 * 16 + 16 + 16 * 8 + 8 + 8 * 3 + 3, model.Parameters().Sum(p => p.Size));
        Assert.Equal(named.Select(p => p.Name), model.StateDict().Keys);
        Assert.Same(((Linear)model.Layers[2]).Weight, model.StateDict()["2.weight"]);
        Assert.Equal(5, model.Layers.Count);
        Assert.IsType<Relu>(model.Layers[1]);
        Assert.IsType<Tanh>(new Mlp(2, [4], 1, Activation.Tanh, Device.Cpu).Layers[1]);
        Assert.IsType<Silu>(new Mlp(2, [4], 1, Activation.Silu, Device.Cpu).Layers[1]);
        Assert.Equal("SiLU()", new Silu().ToString());
        Assert.Equal(["0", "1", "2", "3", "4"], model.NamedChildren().Select(c => c.Name));
    }

    [Fact]
    public void Train_and_eval_reach_every_submodule()
    {
        var inner = new Dropout(0.5f);
        var nested = new Sequential(inner, new Relu());
        var outer = new Dropout(0.1f);
        using var model = new Sequential(new Linear(2, 2, device: Device.Cpu, seed: 1), outer, nested);
        Module[] all = [model, outer, nested, inner, model.Layers[0], nested.Layers[1]];
        Assert.All(all, m => Assert.True(m.Training));
        Assert.Same(model, model.Eval());
        Assert.All(all, m => Assert.False(m.Training));
        model.Train();
        Assert.All(all, m => Assert.True(m.Training));
        nested.Eval();
        Assert.True(model.Training && outer.Training);
        Assert.False(nested.Training || inner.Training);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Dropout_zeroes_about_p_and_scales_the_rest_in_training_and_is_the_identity_in_eval(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        const float p = 0.25f;
        var dropout = new Dropout(p, seed: 11);
        var x = Tensor.Ones([64, 64], scope.Device, requiresGrad: true);

        var y = dropout.Forward(x);
        var values = y.ToArray();
        double dropped = values.Count(v => v == 0f) / (double)values.Length;
        // 4096 Bernoulli(0.25) draws: standard deviation 0.0068, so ±0.04 is about 6σ
        Assert.InRange(dropped, p - 0.04, p + 0.04);
        Assert.All(values, v => Assert.True(v == 0f || v == 1f / (1f - p), $"value {v}"));
        y.Sum().Backward();
        Assert.Equal(values, x.Grad!.ToArray());

        var again = dropout.Forward(x).ToArray();
        Assert.NotEqual(values, again);
        Assert.Equal(values, new Dropout(p, seed: 11).Forward(x).ToArray());

        dropout.Eval();
        Assert.Same(x, dropout.Forward(x));
        Assert.Same(x, new Dropout(0f).Forward(x));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(1f));
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void State_dict_round_trip_reproduces_the_outputs(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        using var source = new Mlp(3, [8], 2, device: scope.Device, seed: 1);
        using var target = new Mlp(3, [8], 2, device: scope.Device, seed: 2);
        var x = Tensor.Randn([5, 3], seed: 9, device: scope.Device);
        var expected = source.Forward(x).ToArray();
        Assert.NotEqual(expected, target.Forward(x).ToArray());

        target.LoadStateDict(source.StateDict());
        Assert.Equal(expected, target.Forward(x).ToArray());
        // the values were copied, not the tensors shared
        Assert.NotSame(source.StateDict()["0.weight"], target.StateDict()["0.weight"]);
        Assert.True(target.Parameters().All(p => p.RequiresGrad && p.IsLeaf));

        // a state dict on the host loads into a model on any device
        var onHost = source.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.To(Device.Cpu));
        using var third = new Mlp(3, [8], 2, device: scope.Device, seed: 3);
        third.LoadStateDict(onHost);
        Assert.Equal(expected, third.Forward(x).ToArray());
    }

    [Fact]
    public void Load_state_dict_lists_missing_and_unexpected_keys_and_shape_mismatches()
    {
        using var tensors = Tensor.Scope();
        using var model = new Mlp(2, [3], 2, device: Device.Cpu);
        var before = model.Parameters().Select(p => p.ToArray()).ToArray();
        var state = new Dictionary<string, Tensor>
        {
            ["0.weight"] = Tensor.Zeros([3, 2], Device.Cpu),
            ["0.bias"] = Tensor.Zeros([4], Device.Cpu),
            ["2.weight"] = Tensor.Zeros([2, 3], Device.Cpu),
            ["extra.weight"] = Tensor.Zeros([1], Device.Cpu),
        };

        var e = Assert.Throws<ArgumentException>(() => model.LoadStateDict(state));
        Assert.Contains("missing key '2.bias'", e.Message, StringComparison.Ordinal);
        Assert.Contains("unexpected key 'extra.weight'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'0.bias'", e.Message, StringComparison.Ordinal);
        Assert.Contains("(4,)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(3,)", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("'0.weight'", e.Message, StringComparison.Ordinal);
        // nothing was loaded
        Assert.Equal(before, model.Parameters().Select(p => p.ToArray()));

        // not strict: missing and unexpected keys are allowed, a wrong shape still is not
        e = Assert.Throws<ArgumentException>(() => model.LoadStateDict(state, strict: false));
        Assert.DoesNotContain("missing", e.Message, StringComparison.Ordinal);
        Assert.Contains("'0.bias' has shape (4,) in the state dict but (3,) in the module", e.Message,
            StringComparison.Ordinal);
        state.Remove("0.bias");
        model.LoadStateDict(state, strict: false);
        Assert.All(model.StateDict()["0.weight"].ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal(before[1], model.StateDict()["0.bias"].ToArray());
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Safetensors_save_load_and_load_state_dict_reproduce_the_outputs_exactly(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        using var model = new Mlp(2, [16, 16], 3, Activation.Gelu, scope.Device, seed: 5);
        var x = Tensor.Randn([7, 2], seed: 1, device: scope.Device);
        var expected = model.Forward(x).ToArray();
        string path = Path.Combine(_folder, $"mlp-{deviceName}.safetensors");

        Safetensors.Save(path, model.StateDict(), new Dictionary<string, string> { ["format"] = "pt" });
        var loaded = Safetensors.Load(path, scope.Device);
        using var restored = new Mlp(2, [16, 16], 3, Activation.Gelu, scope.Device, seed: 6);
        Assert.NotEqual(expected, restored.Forward(x).ToArray());
        restored.LoadStateDict(loaded);
        Assert.Equal(expected, restored.Forward(x).ToArray());
    }

    [Fact]
    public void A_linear_saved_by_the_reference_library_loads_into_a_linear()
    {
        // Nn/Fixtures/reference_f32_f64.safetensors was written by safetensors.torch.save_file: fc.weight [2, 3],
        // fc.bias [2] (a torch.nn.Linear(3, 2) under the name "fc"), plus "step" and "empty".
        using var tensors = Tensor.Scope();
        var file = Safetensors.Load(Path.Combine(AppContext.BaseDirectory, "Nn", "Fixtures",
            "reference_f32_f64.safetensors"), Device.Cpu);
        using var layer = new Linear(3, 2, device: Device.Cpu, seed: 1);

        var e = Assert.Throws<ArgumentException>(() => layer.LoadStateDict(file));
        Assert.Contains("missing key 'weight'", e.Message, StringComparison.Ordinal);
        Assert.Contains("unexpected key 'fc.weight'", e.Message, StringComparison.Ordinal);
        Assert.Contains("unexpected key 'step'", e.Message, StringComparison.Ordinal);

        layer.LoadStateDict(file.Where(kv => kv.Key.StartsWith("fc.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["fc.".Length..], kv => kv.Value));
        Assert.Equal([0.5f, -1f, 2f, 0.25f, 3f, -4f], layer.Weight.ToArray());
        // [1, 2, 3]·Wᵀ + b = [0.5 − 2 + 6 + 0.125, 0.25 + 6 − 12 − 0.75]
        var y = layer.Forward(Tensor.FromArray([1f, 2f, 3f], [1, 3], Device.Cpu));
        Assert.Equal([4.625f, -6.5f], y.ToArray());
    }

    [Fact]
    public void Mlp_learns_moons_to_97_percent_with_adam()
    {
        var clock = Stopwatch.StartNew();
        var data = Datasets.Moons(200, 0.1, seed: 3);
        using var tensors = Tensor.Scope();
        using var model = new Mlp(2, [16, 16], 2, device: Device.Cpu, seed: 1);
        using var optimizer = new Adam(model.Parameters(), lr: 0.02f);
        var x = data.ToTensor(Device.Cpu);
        double accuracy = 0;
        int step;
        for (step = 1; step <= 400 && accuracy < 0.97; step++)
        {
            using var stepScope = Tensor.Scope();
            var logits = model.Forward(x);
            var loss = Functional.CrossEntropy(logits, data.Labels);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            int[] predicted = logits.ArgMaxIndices(1);
            accuracy = predicted.Zip(data.Labels).Count(pair => pair.First == pair.Second) / (double)data.Count;
        }
        Assert.True(accuracy >= 0.97, $"train accuracy {accuracy:P1} after {step - 1} steps");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"training took {clock.Elapsed}");
    }
}
