using MicrogradPlus.Nn;
using MicrogradPlus.Optim;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Nn;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// Module over its tree: printed like torch (against tests/goldens/layers_goldens.json), state-dict keys and buffers
/// named like torch, To(Device) in place, Apply, ParameterCount, and Linear/Mlp following Tensor.ManualSeed.
/// </summary>
public sealed class ModuleTreeTests
{
    /// <summary>The modules the golden generator prints, built here under the same names.</summary>
    private static Module Build(string name, Device device) => name switch
    {
        "sequential linear relu" => new Sequential(new Linear(2, 16, device: device), new Relu()),
        "mlp-like" => new Sequential(new Linear(2, 16, device: device), new Relu(), new Linear(16, 16, device: device),
            new Relu(), new Linear(16, 2, device: device)),
        "norms" => new Sequential(new Flatten(), new Linear(12, 8, bias: false, device: device),
            new BatchNorm1d(8, device: device), new Tanh(), new LayerNorm([8], device: device), new Identity(),
            new Linear(8, 3, device: device)),
        "nested" => new Sequential(new Sequential(new Linear(4, 4, device: device), new Tanh()),
            new Sequential(new LayerNorm([2, 2], 1e-3f, elementwiseAffine: false, device: device),
                new BatchNorm1d(4, momentum: null, affine: false, device: device),
                new BatchNorm1d(4, 0.001f, 0.25f, trackRunningStats: false, device: device)),
            new Flatten(0, -1)),
        "layer norm" => new LayerNorm([6], device: device),
        "batch norm" => new BatchNorm1d(5, device: device),
        _ => throw new ArgumentException($"no module named '{name}' in the test"),
    };

    [Fact]
    public void Modules_print_as_torch_prints_them()
    {
        foreach (var golden in LayersGoldens.Section("repr", 6))
        {
            string name = golden.GetProperty("name").GetString()!;
            using var module = Build(name, Device.Cpu);
            Assert.Equal(golden.GetProperty("text").GetString(), module.ToString());
        }
        using var mlp = new Mlp(2, [16], 2, device: Device.Cpu);
        Assert.Equal("Mlp(\n  (0): Linear(in_features=2, out_features=16, bias=True)\n  (1): ReLU()\n" +
                     "  (2): Linear(in_features=16, out_features=2, bias=True)\n)", mlp.ToString());
    }

    [Fact]
    public void State_dict_keys_and_buffers_are_named_as_in_torch()
    {
        foreach (var golden in LayersGoldens.Section("state_keys", 6))
        {
            string name = golden.GetProperty("name").GetString()!;
            using var module = Build(name, Device.Cpu);
            string[] keys = [.. golden.GetProperty("keys").EnumerateArray().Select(k => k.GetString()!)];
            Assert.Equal(keys, module.StateDict().Keys);
            // parameters and buffers split the state dict between them; buffers never require grad
            Assert.Equal(keys.Order(), module.NamedParameters().Concat(module.NamedBuffers()).Select(p => p.Name).Order());
            Assert.All(module.Buffers(), b => Assert.False(b.RequiresGrad));
            Assert.All(module.Parameters(), p => Assert.True(p.RequiresGrad));
        }
        using var norm = new BatchNorm1d(3, device: Device.Cpu);
        Assert.Equal(["running_mean", "running_var", "num_batches_tracked"], norm.NamedBuffers().Select(b => b.Name));
        Assert.Equal(["weight", "bias"], norm.NamedParameters().Select(p => p.Name));
    }

    [Fact]
    public void Load_state_dict_carries_buffers_and_reproduces_eval_outputs()
    {
        using var tensors = Tensor.Scope();
        using var source = new Sequential(new Linear(3, 4, device: Device.Cpu, seed: 1), new BatchNorm1d(4, device: Device.Cpu));
        for (int step = 0; step < 3; step++)
        {
            source.Forward(Tensor.Randn([6, 3], seed: (ulong)step, device: Device.Cpu));
        }
        source.Eval();
        using var target = new Sequential(new Linear(3, 4, device: Device.Cpu, seed: 2), new BatchNorm1d(4, device: Device.Cpu));
        target.Eval();
        var x = Tensor.Randn([5, 3], seed: 9, device: Device.Cpu);
        var expected = source.Forward(x).ToArray();
        Assert.NotEqual(expected, target.Forward(x).ToArray());
        target.LoadStateDict(source.StateDict());
        Assert.Equal(expected, target.Forward(x).ToArray());
        Assert.Equal(3f, target.StateDict()["1.num_batches_tracked"].Item());

        var missing = source.StateDict().Where(kv => kv.Key != "1.running_var").ToDictionary();
        var e = Assert.Throws<ArgumentException>(() => target.LoadStateDict(missing));
        Assert.Contains("missing key '1.running_var'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void To_moves_parameters_buffers_and_gradients_in_place(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        using var model = new Sequential(new Linear(3, 4, device: Device.Cpu, seed: 3),
            new BatchNorm1d(4, device: Device.Cpu), new Relu(), new Linear(4, 2, device: Device.Cpu, seed: 4));
        var x = Tensor.Randn([5, 3], seed: 2, device: Device.Cpu);
        model.Forward(x).Sum().Backward();
        var tensorsBefore = model.StateDict();
        var values = tensorsBefore.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        var grads = model.NamedParameters().ToDictionary(p => p.Name, p => p.Value.Grad!.ToArray());
        model.Eval();
        var expected = model.Forward(x).ToArray();

        Assert.Same(model, model.To(scope.Device));
        foreach (var (name, tensor) in model.StateDict())
        {
            Assert.Same(tensorsBefore[name], tensor); // the same objects: Linear.Weight sees the move
            Assert.Same(scope.Device, tensor.Device);
            Assert.Equal(values[name], tensor.ToArray());
        }
        foreach (var (name, parameter) in model.NamedParameters())
        {
            Assert.True(parameter.RequiresGrad && parameter.IsLeaf);
            Assert.Same(scope.Device, parameter.Grad!.Device);
            Assert.Equal(grads[name], parameter.Grad.ToArray());
        }
        Assert.Same(scope.Device, ((Linear)model.Layers[0]).Weight.Device);
        var onDevice = model.Forward(x.To(scope.Device)).ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], onDevice[i], 1e-5f);
        }

        // an optimizer built after the move steps the moved tensors
        model.Train();
        using (var optimizer = new Sgd(model.Parameters(), lr: 0.1f))
        {
            optimizer.ZeroGrad();
            model.Forward(x.To(scope.Device)).Sum().Backward();
            optimizer.Step();
        }
        Assert.NotEqual(values["0.weight"], model.StateDict()["0.weight"].ToArray());

        // and back: the host copy holds the trained values
        var trained = model.StateDict()["0.weight"].ToArray();
        model.To(Device.Cpu);
        Assert.Same(Device.Cpu, model.StateDict()["1.running_mean"].Device);
        Assert.Equal(trained, model.StateDict()["0.weight"].ToArray());
    }

    [Fact]
    public void Apply_visits_children_before_parents_and_parameter_count_sums_the_tree()
    {
        using var inner = new Sequential(new Linear(2, 3, device: Device.Cpu), new Relu());
        using var model = new Sequential(inner, new LayerNorm([3], device: Device.Cpu),
            new Linear(3, 1, bias: false, device: Device.Cpu));
        var visited = new List<string>();
        Assert.Same(model, model.Apply(m => visited.Add(m.GetType().Name)));
        Assert.Equal(["Linear", "Relu", "Sequential", "LayerNorm", "Linear", "Sequential"], visited);
        Assert.Equal(2 * 3 + 3 + 3 + 3 + 3, model.ParameterCount);

        // the torch idiom: initialise every Linear through Apply
        model.Apply(m =>
        {
            if (m is Linear linear)
            {
                Init.Constant(linear.Weight, 0.5);
                if (linear.Bias is not null)
                {
                    Init.Zeros(linear.Bias);
                }
            }
        });
        Assert.All(model.Parameters().Take(2).SelectMany(p => p.ToArray()), v => Assert.True(v is 0.5f or 0f));
        Assert.All(((Linear)model.Layers[2]).Weight.ToArray(), v => Assert.Equal(0.5f, v));
        using var mlp = new Mlp(2, [16, 8], 3, device: Device.Cpu);
        Assert.Equal(2 * 16 + 16 + 16 * 8 + 8 + 8 * 3 + 3, mlp.ParameterCount);
    }

    [Fact]
    public void Linear_and_mlp_follow_manual_seed_and_two_models_differ()
    {
        Tensor.ManualSeed(1234);
        using var first = new Mlp(3, [8], 2, device: Device.Cpu);
        using var second = new Mlp(3, [8], 2, device: Device.Cpu);
        using var linear = new Linear(4, 5, device: Device.Cpu);
        Tensor.ManualSeed(1234);
        using var again = new Mlp(3, [8], 2, device: Device.Cpu);
        using var secondAgain = new Mlp(3, [8], 2, device: Device.Cpu);
        using var linearAgain = new Linear(4, 5, device: Device.Cpu);

        float[][] Values(Module m) => [.. m.Parameters().Select(p => p.ToArray())];
        Assert.NotEqual(Values(first), Values(second));
        Assert.Equal(Values(first), Values(again));
        Assert.Equal(Values(second), Values(secondAgain));
        Assert.Equal(Values(linear), Values(linearAgain));
        // torch's default init distribution: U(±1/√in) for weight and bias
        float bound = 1f / MathF.Sqrt(8);
        Assert.All(Values(first)[2].Concat(Values(first)[3]), v => Assert.InRange(v, -bound, bound));
        // an explicit seed still gives the same model whatever the global generator did
        using var seeded = new Mlp(3, [8], 2, device: Device.Cpu, seed: 5);
        Tensor.ManualSeed(99);
        using var seededAgain = new Mlp(3, [8], 2, device: Device.Cpu, seed: 5);
        Assert.Equal(Values(seeded), Values(seededAgain));
    }
}
