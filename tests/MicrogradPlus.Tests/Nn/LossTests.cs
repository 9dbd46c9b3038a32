using System.Globalization;
using System.Text.Json;
using MicrogradPlus.Nn;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Nn;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// The losses of <see cref="Functional"/> against PyTorch (tests/goldens/nn_goldens.json, float64 math): the value and
/// the gradient with respect to the input, in float32 and float64 on every device, large logits included; and the
/// errors for bad targets and mismatched shapes.
/// </summary>
public class LossTests
{
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Losses_and_their_gradients_match_pytorch(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var failures = new List<string>();
        int cases = 0;
        foreach (var golden in NnGoldens.Root.GetProperty("losses").EnumerateArray())
        {
            // float32 kernels against a float64 reference: exp/log within a few ulp; CUDA's .approx exp/log
            // (DESIGN.md) get the looser pair the op goldens use there.
            var f32 = scope.Device.Kind == DeviceKind.Cuda ? (1e-4, 1e-5) : (1e-5, 1e-6);
            RunCase(golden, scope.Device, DType.Float32, f32, failures);
            // float64: the 1/N of Mean's backward and of division by a scalar is a float32 constant (Mean.cs,
            // Div.cs), which leaves float64 losses and gradients only float32-accurate in that factor (≤ 6e-8).
            RunCase(golden, scope.Device, DType.Float64, (2e-7, 1e-12), failures);
            cases++;
        }
        Assert.True(cases >= 11, $"nn_goldens.json holds only {cases} loss cases");
        Assert.True(failures.Count == 0,
            $"{failures.Count} mismatches on {deviceName}:\n" + string.Join("\n", failures.Take(40)));
    }

    /// <summary>
    /// The fused cross-entropy against the same loss written in ops, −Σ log_softmax(x) ⊙ one-hot / n: value, gradient
    /// (fused backward), a float64 gradcheck, and second derivatives (the backward taken with createGraph, which
    /// switches to differentiable ops), on a strided (transposed) input.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Fused_cross_entropy_matches_the_composed_formula_to_second_order(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var device = scope.Device;
        int[] targets = [2, 0, 3];
        var values = Enumerable.Range(0, 12).Select(i => Math.Sin(i * 1.7) * 3).ToArray();
        var x = Tensor.FromArray(values, [4, 3], device, requiresGrad: true); // used as xᵀ: [3, 4], strided
        var oneHot = Tensor.FromArray(new double[] { 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1 }, [3, 4], device);
        Tensor Fused(Tensor v) => Functional.CrossEntropy(v.Transpose(0, 1), targets);
        Tensor Composed(Tensor v) => -(v.Transpose(0, 1).LogSoftmax(1) * oneHot).Sum() / 3f;

        var fused = Fused(x);
        var composed = Composed(x);
        Assert.Equal(composed.Item(), fused.Item(), 1e-12);
        var g1 = Autograd.Grad(fused, [x])[0].ToDoubleArray();
        var g2 = Autograd.Grad(composed, [x])[0].ToDoubleArray();
        for (int i = 0; i < g1.Length; i++)
        {
            Assert.Equal(g2[i], g1[i], 1e-12);
        }
        Assert.True(Autograd.GradCheck(v => Fused(v[0]), [x]));

        // Σ (∂L/∂x)² differentiated again: second derivatives through the backward.
        var h1 = Autograd.Grad(Autograd.Grad(Fused(x), [x], createGraph: true)[0].Pow(2f).Sum(), [x])[0].ToDoubleArray();
        var h2 = Autograd.Grad(Autograd.Grad(Composed(x), [x], createGraph: true)[0].Pow(2f).Sum(), [x])[0]
            .ToDoubleArray();
        for (int i = 0; i < h1.Length; i++)
        {
            Assert.Equal(h2[i], h1[i], 1e-12);
        }

        // Rows wider than the fused kernel takes on GPUs (70 classes) give the same loss and gradient.
        var wide = Tensor.FromArray(Enumerable.Range(0, 140).Select(i => Math.Cos(i * 0.37) * 4).ToArray(), [2, 70],
            device, requiresGrad: true);
        var wideHot = new double[140];
        wideHot[5] = wideHot[70 + 69] = 1;
        var wideLoss = Functional.CrossEntropy(wide, [5, 69]);
        var wideReference = -(wide.LogSoftmax(1) * Tensor.FromArray(wideHot, [2, 70], device)).Sum() / 2f;
        Assert.Equal(wideReference.Item(), wideLoss.Item(), 1e-12);
        var w1 = Autograd.Grad(wideLoss, [wide])[0].ToDoubleArray();
        var w2 = Autograd.Grad(wideReference, [wide])[0].ToDoubleArray();
        for (int i = 0; i < w1.Length; i++)
        {
            Assert.Equal(w2[i], w1[i], 1e-12);
        }
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Huge_logits_give_finite_losses_and_gradients(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var logits = Tensor.FromArray([1e4f, -1e4f, 0f, 3e4f, 3e4f, -3e4f], [2, 3], scope.Device, requiresGrad: true);
        var loss = Functional.CrossEntropy(logits, [1, 0]);
        loss.Backward();
        // row 0: log_softmax at class 1 is −2e4; row 1: two equal maxima, so −log 2
        Assert.Equal((2e4 + Math.Log(2)) / 2, loss.Item(), 1e-5 * 1e4);
        Assert.All(logits.Grad!.ToArray(), g => Assert.True(float.IsFinite(g), $"gradient {g}"));

        var x = Tensor.FromArray([1e4f, -1e4f, 88f, -88f, 100f], [5], scope.Device, requiresGrad: true);
        var t = Tensor.FromArray([0f, 1f, 0f, 1f, 1f], [5], scope.Device);
        var bce = Functional.BinaryCrossEntropyWithLogits(x, t);
        bce.Backward();
        Assert.Equal((1e4 + 1e4 + 88 + 88) / 5, bce.Item(), 1e-5 * 1e4);
        Assert.All(x.Grad!.ToArray(), g => Assert.True(float.IsFinite(g), $"gradient {g}"));
    }

    [Fact]
    public void Cross_entropy_names_a_target_out_of_range_and_the_class_count()
    {
        using var tensors = Tensor.Scope();
        var logits = Tensor.Zeros([3, 4], Device.Cpu);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Functional.CrossEntropy(logits, [0, 4, 1]));
        Assert.Contains("target 4", e.Message, StringComparison.Ordinal);
        Assert.Contains("[0, 4)", e.Message, StringComparison.Ordinal);
        Assert.Contains("position 1", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<ArgumentOutOfRangeException>(() => Functional.CrossEntropy(logits, [0, 1, -1]));
        Assert.Contains("target -1", e.Message, StringComparison.Ordinal);
        Assert.Contains("[0, 4)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cross_entropy_names_the_logits_shape_when_targets_or_rank_do_not_fit()
    {
        using var tensors = Tensor.Scope();
        var e = Assert.Throws<ArgumentException>(
            () => Functional.CrossEntropy(Tensor.Zeros([3, 4], Device.Cpu), [0, 1]));
        Assert.Contains("2 targets", e.Message, StringComparison.Ordinal);
        Assert.Contains("(3, 4)", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(Tensor.Zeros([4], Device.Cpu), [0]));
        Assert.Contains("(4,)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Shape_mismatches_name_both_shapes()
    {
        using var tensors = Tensor.Scope();
        var a = Tensor.Zeros([2, 3], Device.Cpu);
        var b = Tensor.Zeros([3, 2], Device.Cpu);
        var c = Tensor.Zeros([6], Device.Cpu);
        foreach (var (name, loss) in new (string, Func<Tensor, Tensor, Tensor>)[]
                 {
                     ("Mse", Functional.Mse),
                     ("BinaryCrossEntropyWithLogits", Functional.BinaryCrossEntropyWithLogits),
                     ("Hinge", Functional.Hinge),
                 })
        {
            var e = Assert.Throws<ArgumentException>(() => loss(a, b));
            Assert.Contains(name, e.Message, StringComparison.Ordinal);
            Assert.Contains("(2, 3)", e.Message, StringComparison.Ordinal);
            Assert.Contains("(3, 2)", e.Message, StringComparison.Ordinal);
            // broadcastable shapes are still refused: a loss compares element for element
            e = Assert.Throws<ArgumentException>(() => loss(c, a));
            Assert.Contains("(6,)", e.Message, StringComparison.Ordinal);
        }
    }

    private static void RunCase(JsonElement golden, Device device, DType dtype, (double Rtol, double Atol) tolerance,
        List<string> failures)
    {
        string name = $"{golden.GetProperty("name").GetString()} ({dtype})";
        using var tensors = Tensor.Scope();
        var inputJson = golden.GetProperty("input");
        var input = Tensor.FromArray(NnGoldens.Doubles(inputJson.GetProperty("data")), NnGoldens.Shape(inputJson),
            device).To(dtype);
        input.RequiresGrad = true;
        Tensor Target()
        {
            var target = golden.GetProperty("target");
            return Tensor.FromArray(NnGoldens.Doubles(target.GetProperty("data")), NnGoldens.Shape(target), device)
                .To(dtype);
        }
        var loss = golden.GetProperty("loss").GetString() switch
        {
            "cross_entropy" => Functional.CrossEntropy(input,
                [.. golden.GetProperty("targets").EnumerateArray().Select(v => v.GetInt32())]),
            "mse" => Functional.Mse(input, Target()),
            "bce_with_logits" => Functional.BinaryCrossEntropyWithLogits(input, Target()),
            "hinge" => Functional.Hinge(input, Target()),
            var kind => throw new NotSupportedException($"loss '{kind}'"),
        };
        Assert.Empty(loss.Shape);
        Assert.Equal(dtype, loss.DType);
        loss.Backward();
        Expect(failures, $"{name}: value", loss.ToDoubleArray()[0], golden.GetProperty("value").GetDouble(),
            tolerance);
        var grad = input.Grad!.ToDoubleArray();
        var expected = NnGoldens.Doubles(golden.GetProperty("grad").GetProperty("data"));
        Assert.Equal(expected.Length, grad.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Expect(failures, $"{name}: grad[{i}]", grad[i], expected[i], tolerance);
        }
    }

    private static void Expect(List<string> failures, string what, double actual, double expected,
        (double Rtol, double Atol) tolerance)
    {
        if (!(Math.Abs(actual - expected) <= tolerance.Atol + tolerance.Rtol * Math.Abs(expected)))
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture,
                $"{what}: expected {expected:R}, got {actual:R} (diff {actual - expected:G3})"));
        }
    }
}
