using MicrogradPlus.Nn;
using MicrogradPlus.Optim;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Nn;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// A Linear followed by a ReLU, Tanh or Sigmoid in a Sequential (and so in every Mlp with those activations) runs as
/// one op with the activation in the product's store. What it computes must be the two layers' result bit for bit:
/// outputs, every gradient, a few optimizer steps; and it must stay differentiable twice.
/// </summary>
public class FusedLinearActivationTests
{
    private static readonly Dictionary<string, (Epilogue Epilogue, Func<Tensor, Tensor> Op, Func<Module> Layer)>
        Activations = new()
        {
            ["relu"] = (Epilogue.Relu, t => t.Relu(), () => new Relu()),
            ["tanh"] = (Epilogue.Tanh, t => t.Tanh(), () => new MicrogradPlus.Nn.Tanh()),
            ["sigmoid"] = (Epilogue.Sigmoid, t => t.Sigmoid(), () => new MicrogradPlus.Nn.Sigmoid()),
        };

    /// <summary>
    /// Devices × activations × batch sizes: one sample (a rank-1 input), the row loops (&lt; 6 rows), the GEMM.
    /// </summary>
    public static TheoryData<string, string, int> DevicesActivationsAndBatches
    {
        get
        {
            var data = new TheoryData<string, string, int>();
            foreach (string device in TestDevices.All)
            {
                foreach (string activation in Activations.Keys)
                {
                    foreach (int batch in new[] { 1, 5, 37 })
                    {
                        data.Add(device, activation, batch);
                    }
                }
            }
            return data;
        }
    }

    /// <summary>Devices × activations.</summary>
    public static TheoryData<string, string> DevicesAndActivations
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (string device in TestDevices.All)
            {
                foreach (string activation in Activations.Keys)
                {
                    data.Add(device, activation);
                }
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(DevicesActivationsAndBatches))]
    public void Fused_linear_activation_equals_the_two_ops_bit_for_bit(string deviceName, string activation, int batch)
    {
        using var scope = TestDevices.Use(deviceName);
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            using var tensors = Tensor.Scope();
            var (fused, fusedGrads) = Step(scope.Device, activation, dtype, batch, fuse: true);
            var (plain, plainGrads) = Step(scope.Device, activation, dtype, batch, fuse: false);
            Assert.Equal(plain, fused);
            Assert.Equal(plainGrads.Length, fusedGrads.Length);
            for (int i = 0; i < plainGrads.Length; i++)
            {
                Assert.Equal(plainGrads[i], fusedGrads[i]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(DevicesAndActivations))]
    public void Fused_node_is_named_and_trains_as_the_two_layers(string deviceName, string activation)
    {
        using var scope = TestDevices.Use(deviceName);
        float[] Train(bool fuse)
        {
            using var tensors = Tensor.Scope();
            var (first, second) = (new Linear(3, 8, device: scope.Device, seed: 4),
                new Linear(8, 2, device: scope.Device, seed: 5));
            Module model = fuse
                ? new Sequential(first, Activations[activation].Layer(), second)
                : new Unfused(first, second, Activations[activation].Op);
            using var adam = new Adam(model.Parameters().ToArray(), lr: 0.05f);
            var x = Tensor.Randn([16, 3], seed: 6, device: scope.Device);
            var y = Tensor.Randn([16, 2], seed: 7, device: scope.Device);
            for (int step = 0; step < 5; step++)
            {
                using (Tensor.Scope())
                {
                    adam.ZeroGrad();
                    Functional.Mse(model.Forward(x), y).Backward();
                    adam.Step();
                }
            }
            return [.. first.Weight.ToArray(), .. first.Bias!.ToArray(), .. second.Weight.ToArray()];
        }
        Assert.Equal(Train(fuse: false), Train(fuse: true));

        using var graph = Tensor.Scope();
        var net = new Sequential(new Linear(2, 4, device: scope.Device, seed: 1), Activations[activation].Layer(),
            new Linear(4, 1, device: scope.Device, seed: 2));
        var output = net.Forward(Tensor.Ones([3, 2], scope.Device));
        Assert.Equal("addmm", output.GradFnName); // the last Linear has no activation after it
        Assert.Contains($"addmm_{activation}", Graph.ToDot(output), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("relu")]
    [InlineData("tanh")]
    [InlineData("sigmoid")]
    public void Fused_op_passes_gradcheck_and_second_order(string activation)
    {
        using var tensors = Tensor.Scope();
        var device = Device.Cpu;
        var (epilogue, op, _) = Activations[activation];
        // Inputs away from relu's kink, so the finite differences see one side of it.
        var x = Tensor.FromArray([0.9, -1.3, 0.4, 2.2, -0.7, 1.1], [3, 2], device, requiresGrad: true);
        var w = Tensor.FromArray([0.5, -0.8, 1.2, 0.3, -0.6, 0.9, 0.7, -1.1], [4, 2], device, requiresGrad: true);
        var b = Tensor.FromArray([0.05, -0.1, 0.2, 0.15], [4], device, requiresGrad: true);
        Assert.True(Autograd.GradCheck(t => Functional.Linear(t[0], t[1], t[2], epilogue), [x, w, b]));

        // ∂/∂W of Σ act(xWᵀ + b)² taken twice, fused and not: the same second derivative.
        double[] SecondOrder(bool fuse)
        {
            var y = fuse ? Functional.Linear(x, w, b, epilogue) : op(Functional.Linear(x, w, b));
            var gw = Autograd.Grad(y.Square().Sum(), [w], createGraph: true)[0];
            return Autograd.Grad(gw.Sum(), [x])[0].ToDoubleArray();
        }
        Assert.Equal(SecondOrder(false), SecondOrder(true));
    }

    /// <summary>
    /// Two layers, act(x·W₁ᵀ + b₁)·W₂ᵀ + b₂, fused or not, forward and backward of Σ output²: the output and the
    /// gradients of x, W₁, b₁ and W₂.
    /// </summary>
    private static (double[] Output, double[][] Grads) Step(Device device, string activation, DType dtype, int batch,
        bool fuse)
    {
        Tensor Parameter(int[] shape, ulong seed)
        {
            var p = Tensor.Randn(shape, seed: seed, device: device).To(dtype);
            p.RequiresGrad = true;
            return p;
        }
        var (w1, b1, w2, b2) = (Parameter([7, 5], 11), Parameter([7], 12), Parameter([3, 7], 13), Parameter([3], 14));
        var x = Parameter(batch == 1 ? [5] : [batch, 5], 15);
        // A NaN input passes through both forms alike.
        if (batch == 37)
        {
            using (Autograd.NoGrad())
            {
                x.Slice(0, 36, 37).CopyFrom(Tensor.Full([1, 5], float.NaN, device).To(dtype));
            }
        }
        var (epilogue, op, _) = Activations[activation];
        var hidden = fuse ? Functional.Linear(x, w1, b1, epilogue) : op(Functional.Linear(x, w1, b1));
        var output = Functional.Linear(hidden, w2, b2);
        output.Square().Sum().Backward();
        return (output.ToDoubleArray(),
            [x.Grad!.ToDoubleArray(), w1.Grad!.ToDoubleArray(), b1.Grad!.ToDoubleArray(), w2.Grad!.ToDoubleArray()]);
    }

    /// <summary>The same two layers with the activation as its own op.</summary>
    private sealed class Unfused : Module
    {
        private readonly Linear _first, _second;
        private readonly Func<Tensor, Tensor> _activation;

        public Unfused(Linear first, Linear second, Func<Tensor, Tensor> activation)
        {
            _first = RegisterModule("0", first);
            _second = RegisterModule("2", second);
            _activation = activation;
        }

        public override Tensor Forward(Tensor input) => _second.Forward(_activation(_first.Forward(input)));
    }
}
