using MicrogradPlus.Nn;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Nn;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// Utils.ClipGradNorm and ClipGradValue against torch.nn.utils (tests/goldens/layers_goldens.json): the returned
/// total norm, the clipped gradients, no read back to the host, on every device.
/// </summary>
public sealed class ClipGradTests
{
    private static Tensor[] Parameters(System.Text.Json.JsonElement golden, Device device)
    {
        var grads = golden.GetProperty("grads").EnumerateArray().ToArray();
        var parameters = new Tensor[grads.Length];
        for (int i = 0; i < grads.Length; i++)
        {
            var g = LayersGoldens.Tensor(grads[i], device);
            parameters[i] = Tensor.Zeros(g.Shape, device, requiresGrad: true);
            // the gradient is exactly g: d/dp Σ p·g = g
            (parameters[i] * g).Sum().Backward();
        }
        return parameters;
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Clip_grad_norm_matches_torch_and_reads_nothing_back(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var failures = new List<string>();
        foreach (var golden in LayersGoldens.Section("clip_norm", 6))
        {
            using var tensors = Tensor.Scope();
            string name = golden.GetProperty("name").GetString()!;
            var normJson = golden.GetProperty("norm_type");
            float normType = normJson.ValueKind == System.Text.Json.JsonValueKind.String
                ? float.PositiveInfinity
                : (float)normJson.GetDouble();
            var parameters = Parameters(golden, scope.Device);
            long reads = scope.Device.HostReads;
            var total = Utils.ClipGradNorm(parameters, (float)golden.GetProperty("max_norm").GetDouble(), normType);
            Assert.Equal(reads, scope.Device.HostReads);
            Assert.Empty(total.Shape);
            Assert.Same(scope.Device, total.Device);
            LayersGoldens.Expect(failures, $"{name} total norm", [golden.GetProperty("total_norm").GetDouble()],
                [total.Item()], 1e-5, 1e-6);
            var clipped = golden.GetProperty("clipped").EnumerateArray().ToArray();
            for (int i = 0; i < parameters.Length; i++)
            {
                LayersGoldens.Expect(failures, $"{name} grad {i}", LayersGoldens.Values(clipped[i]),
                    parameters[i].Grad!.ToDoubleArray(), 1e-5, 1e-6);
            }
        }
        Assert.True(failures.Count == 0, $"{deviceName}:\n" + string.Join("\n", failures));
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Clip_grad_value_matches_torch(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var failures = new List<string>();
        foreach (var golden in LayersGoldens.Section("clip_value", 2))
        {
            using var tensors = Tensor.Scope();
            var parameters = Parameters(golden, scope.Device);
            Utils.ClipGradValue(parameters, (float)golden.GetProperty("clip_value").GetDouble());
            var clipped = golden.GetProperty("clipped").EnumerateArray().ToArray();
            for (int i = 0; i < parameters.Length; i++)
            {
                LayersGoldens.Expect(failures, $"{golden.GetProperty("name").GetString()} grad {i}",
                    LayersGoldens.Values(clipped[i]), parameters[i].Grad!.ToDoubleArray(), 0, 0);
            }
        }
        Assert.True(failures.Count == 0, $"{deviceName}:\n" + string.Join("\n", failures));
    }

    [Fact]
    public void Parameters_without_gradients_are_skipped_and_bad_settings_refused()
    {
        using var tensors = Tensor.Scope();
        var noGrad = Tensor.Zeros([3], Device.Cpu, requiresGrad: true);
        Assert.Equal(0f, Utils.ClipGradNorm([noGrad], 1f).Item());
        var p = Tensor.Zeros([2], Device.Cpu, requiresGrad: true);
        (p * Tensor.FromArray([3f, 4f], [2], Device.Cpu)).Sum().Backward();
        Assert.Equal(5f, Utils.ClipGradNorm([noGrad, p], 1f).Item(), 1e-6f);
        Assert.Null(noGrad.Grad);
        Assert.Equal([0.6f, 0.8f], p.Grad!.ToArray(), (a, b) => Math.Abs(a - b) < 1e-6f);
        Utils.ClipGradValue([noGrad, p], 0.7f);
        Assert.Equal([0.6f, 0.7f], p.Grad!.ToArray(), (a, b) => Math.Abs(a - b) < 1e-6f);
        Assert.Throws<ArgumentOutOfRangeException>(() => Utils.ClipGradNorm([p], 1f, 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => Utils.ClipGradNorm([p], -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => Utils.ClipGradValue([p], -1f));
    }
}
