using System.Text.Json;
using MicrogradPlus.Nn;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Nn;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// LayerNorm, BatchNorm1d, Flatten and Identity against tests/goldens/layers_goldens.json: forward values, gradients
/// of the input and of the affine parameters, BatchNorm's running statistics after several training steps and its
/// evaluation-mode output, on every device.
/// </summary>
public sealed class LayerTests
{
    // float32 layers against float64 torch: a row's mean and variance carry a few ulps of the row's scale.
    private const double Rtol32 = 2e-5, Atol32 = 2e-5;

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Layer_norm_matches_pytorch_forward_and_gradients(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var failures = new List<string>();
        foreach (var golden in LayersGoldens.Section("layer_norm", 5))
        {
            using var tensors = Tensor.Scope();
            string name = golden.GetProperty("name").GetString()!;
            int[] normalized = LayersGoldens.Ints(golden.GetProperty("normalized_shape"));
            float eps = (float)golden.GetProperty("eps").GetDouble();
            bool affine = golden.GetProperty("affine").GetBoolean();

            // The module, float32.
            using var layer = new LayerNorm(normalized, eps, affine, scope.Device);
            if (affine)
            {
                layer.LoadStateDict(new Dictionary<string, Tensor>
                {
                    ["weight"] = LayersGoldens.Tensor(golden.GetProperty("weight"), scope.Device),
                    ["bias"] = LayersGoldens.Tensor(golden.GetProperty("bias"), scope.Device),
                });
            }
            var x = LayersGoldens.Tensor(golden.GetProperty("x"), scope.Device, requiresGrad: true);
            var y = layer.Forward(x);
            y.Backward(LayersGoldens.Tensor(golden.GetProperty("g"), scope.Device));
            Compare(failures, $"{name} f32", golden, y, x, layer.Weight, layer.Bias, Rtol32, Atol32);

            // The op, float64: the same formulas to rounding.
            var x64 = LayersGoldens.Tensor(golden.GetProperty("x"), scope.Device, DType.Float64, true);
            var w64 = affine ? LayersGoldens.Tensor(golden.GetProperty("weight"), scope.Device, DType.Float64, true)
                : null;
            var b64 = affine ? LayersGoldens.Tensor(golden.GetProperty("bias"), scope.Device, DType.Float64, true)
                : null;
            var y64 = x64.LayerNorm(normalized, w64, b64, eps);
            y64.Backward(LayersGoldens.Tensor(golden.GetProperty("g"), scope.Device, DType.Float64));
            Compare(failures, $"{name} f64", golden, y64, x64, w64, b64, 1e-9, 1e-9);
        }
        Assert.True(failures.Count == 0, $"{failures.Count} mismatches on {deviceName}:\n" +
                                         string.Join("\n", failures.Take(30)));
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Layer_norm_passes_gradcheck_in_float64(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var x = Tensor.Randn([3, 2, 4], seed: 31, device: scope.Device, dtype: DType.Float64, requiresGrad: true);
        var w = Tensor.Randn([2, 4], seed: 32, device: scope.Device, dtype: DType.Float64, requiresGrad: true);
        var b = Tensor.Randn([2, 4], seed: 33, device: scope.Device, dtype: DType.Float64, requiresGrad: true);
        Assert.True(Autograd.GradCheck(t => t[0].LayerNorm([2, 4], t[1], t[2]), [x, w, b]));
        Assert.True(Autograd.GradCheck(t => t[0].LayerNorm([4], null, null, 1e-3f), [x]));
        // second order: the backward is itself differentiable
        // the backward is built from differentiable ops: a gradient of the gradient reaches the weight
        var dx = Autograd.Grad((x.LayerNorm([2, 4], w, b) * x).Sum(), [x], createGraph: true)[0];
        Assert.True(dx.RequiresGrad);
        dx.Pow(2f).Sum().Backward();
        Assert.NotNull(w.Grad);
        Assert.Contains(w.Grad.ToDoubleArray(), v => v != 0);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Batch_norm_matches_pytorch_through_training_steps_and_in_eval(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var failures = new List<string>();
        foreach (var golden in LayersGoldens.Section("batch_norm", 5))
        {
            using var tensors = Tensor.Scope();
            string name = golden.GetProperty("name").GetString()!;
            int features = golden.GetProperty("features").GetInt32();
            var momentumJson = golden.GetProperty("momentum");
            float? momentum = momentumJson.ValueKind == JsonValueKind.Null ? null : (float)momentumJson.GetDouble();
            bool affine = golden.GetProperty("affine").GetBoolean(), track = golden.GetProperty("track").GetBoolean();
            using var layer = new BatchNorm1d(features, (float)golden.GetProperty("eps").GetDouble(), momentum, affine,
                track, scope.Device);
            if (affine)
            {
                using (Autograd.NoGrad())
                {
                    layer.Weight!.CopyFrom(LayersGoldens.Tensor(golden.GetProperty("weight"), scope.Device));
                    layer.Bias!.CopyFrom(LayersGoldens.Tensor(golden.GetProperty("bias"), scope.Device));
                }
            }
            Assert.True(layer.Training);
            int step = 0;
            foreach (var record in golden.GetProperty("steps").EnumerateArray())
            {
                layer.ZeroGrad();
                var x = LayersGoldens.Tensor(record.GetProperty("x"), scope.Device, requiresGrad: true);
                var y = layer.Forward(x);
                y.Backward(LayersGoldens.Tensor(record.GetProperty("g"), scope.Device));
                Compare(failures, $"{name} step {step++}", record, y, x, layer.Weight, layer.Bias, Rtol32, Atol32);
            }
            if (track)
            {
                LayersGoldens.Expect(failures, $"{name} running_mean",
                    LayersGoldens.Values(golden.GetProperty("running_mean")), layer.RunningMean!.ToDoubleArray(),
                    Rtol32, Atol32);
                LayersGoldens.Expect(failures, $"{name} running_var",
                    LayersGoldens.Values(golden.GetProperty("running_var")), layer.RunningVar!.ToDoubleArray(),
                    Rtol32, Atol32);
                Assert.Equal(golden.GetProperty("num_batches_tracked").GetInt32(), layer.NumBatchesTracked!.Item());
            }
            else
            {
                Assert.Null(layer.RunningMean);
                Assert.Empty(layer.NamedBuffers());
            }
            layer.Eval();
            var eval = golden.GetProperty("eval");
            var ye = layer.Forward(LayersGoldens.Tensor(eval.GetProperty("x"), scope.Device));
            LayersGoldens.Expect(failures, $"{name} eval", LayersGoldens.Values(eval.GetProperty("y")),
                ye.ToDoubleArray(), Rtol32, Atol32);
        }
        Assert.True(failures.Count == 0, $"{failures.Count} mismatches on {deviceName}:\n" +
                                         string.Join("\n", failures.Take(30)));
    }

    [Fact]
    public void Batch_norm_eval_leaves_the_running_statistics_alone_and_bad_input_is_named()
    {
        using var tensors = Tensor.Scope();
        using var layer = new BatchNorm1d(3, device: Device.Cpu);
        var x = Tensor.Randn([4, 3], seed: 5, device: Device.Cpu);
        layer.Forward(x);
        float[] mean = layer.RunningMean!.ToArray(), variance = layer.RunningVar!.ToArray();
        Assert.Equal(1f, layer.NumBatchesTracked!.Item());
        layer.Eval();
        layer.Forward(x);
        Assert.Equal(mean, layer.RunningMean.ToArray());
        Assert.Equal(variance, layer.RunningVar.ToArray());
        Assert.Equal(1f, layer.NumBatchesTracked.Item());

        layer.Train();
        var e = Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Zeros([4, 5], Device.Cpu)));
        Assert.Contains("(N, 3)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(4, 5)", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Zeros([1, 3], Device.Cpu)));
        Assert.Contains("more than 1 value per channel", e.Message, StringComparison.Ordinal);
        layer.Eval();
        Assert.Equal([1, 3], layer.Forward(Tensor.Zeros([1, 3], Device.Cpu)).Shape); // fine in eval
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNorm1d(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNorm1d(2, momentum: 1.5f));
    }

    [Fact]
    public void Layer_norm_names_shapes_that_do_not_fit()
    {
        using var tensors = Tensor.Scope();
        using var layer = new LayerNorm([4], device: Device.Cpu);
        var e = Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Zeros([2, 5], Device.Cpu)));
        Assert.Contains("(2, 5)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(4,)", e.Message, StringComparison.Ordinal);
        var x = Tensor.Zeros([2, 4], Device.Cpu);
        e = Assert.Throws<ArgumentException>(() => x.LayerNorm([4], Tensor.Ones([3], Device.Cpu)));
        Assert.Contains("weight has shape (3,)", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new LayerNorm([]));
        // a constant row normalizes to 0 (variance 0: only eps under the root), then the bias
        Assert.All(layer.Forward(Tensor.Full([2, 4], 3f, Device.Cpu)).ToArray(), v => Assert.Equal(0f, v));
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Flatten_and_identity_reshape_as_torch(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var x = Tensor.Randn([2, 3, 4, 5], seed: 8, device: scope.Device, requiresGrad: true);
        Assert.Equal([2, 60], new Flatten().Forward(x).Shape);
        Assert.Equal([120], new Flatten(0).Forward(x).Shape);
        Assert.Equal([2, 12, 5], new Flatten(1, 2).Forward(x).Shape);
        Assert.Equal([2, 3, 20], new Flatten(-2, -1).Forward(x).Shape);
        Assert.Equal([2, 3, 4, 5], new Flatten(2, 2).Forward(x).Shape);
        var y = new Flatten().Forward(x);
        Assert.Equal(x.ToArray(), y.ToArray());
        (y * 2f).Sum().Backward();
        Assert.All(x.Grad!.ToArray(), v => Assert.Equal(2f, v));
        Assert.Same(x, new Identity().Forward(x));
        var e = Assert.Throws<ArgumentException>(() => new Flatten(3, 1).Forward(x));
        Assert.Contains("rank 4", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Compares y, the input's gradient and the affine parameters' gradients with a golden record.</summary>
    private static void Compare(List<string> failures, string what, JsonElement golden, Tensor y, Tensor x,
        Tensor? weight, Tensor? bias, double rtol, double atol)
    {
        LayersGoldens.Expect(failures, $"{what} y", LayersGoldens.Values(golden.GetProperty("y")), y.ToDoubleArray(),
            rtol, atol);
        LayersGoldens.Expect(failures, $"{what} dx", LayersGoldens.Values(golden.GetProperty("dx")),
            x.Grad!.ToDoubleArray(), rtol, atol);
        if (weight is not null)
        {
            LayersGoldens.Expect(failures, $"{what} dweight", LayersGoldens.Values(golden.GetProperty("dweight")),
                weight.Grad!.ToDoubleArray(), rtol, atol);
            LayersGoldens.Expect(failures, $"{what} dbias", LayersGoldens.Values(golden.GetProperty("dbias")),
                bias!.Grad!.ToDoubleArray(), rtol, atol);
        }
    }
}
