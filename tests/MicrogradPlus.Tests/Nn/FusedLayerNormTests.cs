using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Nn;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// The fused layer norm (one launch forward, one backward for dx; the host loop on "cpu", ILGPU kernels elsewhere)
/// against the composed version in plain differentiable ops, in float64: values and every gradient, with and without
/// the affine, strided inputs, rows whose length leaves a vector tail, and the higher-order path.
/// </summary>
public sealed class FusedLayerNormTests
{
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Fused_layer_norm_matches_the_composed_version(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var failures = new List<string>();
        ulong seed = 500;
        foreach (var (shape, normalized) in new (int[], int[])[]
                 {
                     ([5, 8], [8]), ([3, 4, 6], [4, 6]), ([2, 37], [37]), ([6, 1], [1]), ([7], [7]), ([2, 3, 19], [19]),
                 })
        {
            foreach (bool affine in new[] { true, false })
            {
                using var tensors = Tensor.Scope();
                Tensor Leaf(int[] s, double shift = 0) => (Tensor.Randn(s, seed: seed++, device: scope.Device,
                    dtype: DType.Float64) * 1.5f + (float)shift).Detach();
                var x = Leaf(shape, 0.7);
                var w = affine ? Leaf(normalized, 1) : null;
                var b = affine ? Leaf(normalized) : null;
                var g = Leaf(shape);
                Tensor[] leaves = affine ? [x, w!, b!] : [x];
                Tensor[] copies = [.. leaves.Select(t => t.Detach())];
                foreach (var t in leaves.Concat(copies))
                {
                    t.RequiresGrad = true;
                }
                var fused = x.LayerNorm(normalized, w, b, 1e-5f);
                var composed = Tensor.ComposedLayerNorm(copies[0], normalized.Length, affine ? copies[1] : null,
                    affine ? copies[2] : null, 1e-5f);
                Assert.Equal("layer_norm", fused.GradFnName);
                string what = $"[{string.Join(", ", shape)}] over [{string.Join(", ", normalized)}] affine {affine}";
                LayersGoldens.Expect(failures, what + " y", composed.ToDoubleArray(), fused.ToDoubleArray(), 1e-12,
                    1e-12);
                fused.Backward(g);
                composed.Backward(g);
                for (int i = 0; i < leaves.Length; i++)
                {
                    LayersGoldens.Expect(failures, $"{what} grad {i}", copies[i].Grad!.ToDoubleArray(),
                        leaves[i].Grad!.ToDoubleArray(), 1e-10, 1e-12);
                }
            }
        }
        Assert.True(failures.Count == 0, $"{deviceName}:\n" + string.Join("\n", failures.Take(30)));
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Strided_inputs_and_second_order_gradients_agree_with_the_composed_version(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var failures = new List<string>();
        var source = Tensor.Randn([9, 4], seed: 41, device: scope.Device, dtype: DType.Float64, requiresGrad: true);
        var w = Tensor.Randn([9], seed: 42, device: scope.Device, dtype: DType.Float64, requiresGrad: true);
        var b = Tensor.Randn([9], seed: 43, device: scope.Device, dtype: DType.Float64, requiresGrad: true);
        var x = source.Transpose(0, 1); // [4, 9], not contiguous
        var x2 = source.Transpose(0, 1); // its own graph node, for the composed version
        Assert.False(x.IsContiguous);
        var fused = x.LayerNorm([9], w, b);
        var composed = Tensor.ComposedLayerNorm(x2, 1, w, b, 1e-5f);
        LayersGoldens.Expect(failures, "strided y", composed.ToDoubleArray(), fused.ToDoubleArray(), 1e-12, 1e-12);

        // Gradients of a gradient: the fused backward falls back to differentiable ops under createGraph.
        var gFused = Autograd.Grad((fused * fused * x).Sum(), [source, w], createGraph: true);
        var gComposed = Autograd.Grad((composed * composed * x2).Sum(), [source, w], createGraph: true);
        for (int i = 0; i < 2; i++)
        {
            LayersGoldens.Expect(failures, $"first order {i}", gComposed[i].ToDoubleArray(),
                gFused[i].ToDoubleArray(), 1e-10, 1e-12);
        }
        var hFused = Autograd.Grad(gFused[0].Pow(2f).Sum(), [w, b]);
        var hComposed = Autograd.Grad(gComposed[0].Pow(2f).Sum(), [w, b]);
        for (int i = 0; i < 2; i++)
        {
            LayersGoldens.Expect(failures, $"second order {i}", hComposed[i].ToDoubleArray(),
                hFused[i].ToDoubleArray(), 1e-9, 1e-12);
        }
        Assert.True(failures.Count == 0, $"{deviceName}:\n" + string.Join("\n", failures.Take(30)));
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Forward_is_one_launch_and_the_input_gradient_one_more(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var device = scope.Device;
        var x = Tensor.Randn([16, 32], seed: 3, device: device, requiresGrad: true);
        var g = Tensor.Randn([16, 32], seed: 4, device: device);
        long before = device.Launches;
        var y = x.LayerNorm([32]);
        Assert.Equal(before + 1, device.Launches);
        before = device.Launches;
        y.Backward(g);
        Assert.Equal(before + 1, device.Launches);
        Assert.Equal([16, 32], x.Grad!.Shape);
    }
}
