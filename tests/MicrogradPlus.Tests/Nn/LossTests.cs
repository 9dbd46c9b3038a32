using System.Globalization;
using System.Text.Json;
using MicrogradPlus.Backends;
using MicrogradPlus.Nn;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Nn;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// The losses of <see cref="Functional"/> against PyTorch (tests/goldens/nn_goldens.json, float64 math): the value and
/// the gradient with respect to the input, in float32 and float64 on every device, large logits included; the fused
/// cross-entropy and MSE against the same losses written in ops, to second order, and their launch counts; and the
/// errors for bad targets, mismatched shapes and dtypes.
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
        // The two round exp and log differently: a few ulp (ILGPU's software double math on CUDA: about 1e-10).
        double closeness = device.Kind == DeviceKind.Cuda ? 1e-10 : 1e-12;

        var fused = Fused(x);
        var composed = Composed(x);
        Assert.Equal(composed.Item(), fused.Item(), closeness);
        var g1 = Autograd.Grad(fused, [x])[0].ToDoubleArray();
        var g2 = Autograd.Grad(composed, [x])[0].ToDoubleArray();
        for (int i = 0; i < g1.Length; i++)
        {
            Assert.Equal(g2[i], g1[i], closeness);
        }
        Assert.True(Autograd.GradCheck(v => Fused(v[0]), [x]));

        // Σ (∂L/∂x)² differentiated again: second derivatives through the backward.
        var h1 = Autograd.Grad(Autograd.Grad(Fused(x), [x], createGraph: true)[0].Pow(2f).Sum(), [x])[0].ToDoubleArray();
        var h2 = Autograd.Grad(Autograd.Grad(Composed(x), [x], createGraph: true)[0].Pow(2f).Sum(), [x])[0]
            .ToDoubleArray();
        for (int i = 0; i < h1.Length; i++)
        {
            Assert.Equal(h2[i], h1[i], closeness);
        }

        // Rows wide enough (70 classes) for a thread group per row on GPUs give the same loss and gradient.
        var wide = Tensor.FromArray(Enumerable.Range(0, 140).Select(i => Math.Cos(i * 0.37) * 4).ToArray(), [2, 70],
            device, requiresGrad: true);
        var wideHot = new double[140];
        wideHot[5] = wideHot[70 + 69] = 1;
        var wideLoss = Functional.CrossEntropy(wide, [5, 69]);
        var wideReference = -(wide.LogSoftmax(1) * Tensor.FromArray(wideHot, [2, 70], device)).Sum() / 2f;
        Assert.Equal(wideReference.Item(), wideLoss.Item(), closeness);
        var w1 = Autograd.Grad(wideLoss, [wide])[0].ToDoubleArray();
        var w2 = Autograd.Grad(wideReference, [wide])[0].ToDoubleArray();
        for (int i = 0; i < w1.Length; i++)
        {
            Assert.Equal(w2[i], w1[i], closeness);
        }
    }

    /// <summary>
    /// Cross-entropy of one row of 20,000 classes (on GPUs fewer rows than multiprocessors: plain ops spread the row
    /// over the device) against float64: loss and gradient.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Cross_entropy_of_a_very_wide_row_matches_the_reference(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        const int rows = 1, classes = 20000;
        int[] targets = [19999];
        var x = Tensor.Randn([rows, classes], seed: 41, device: scope.Device, requiresGrad: true);
        var values = x.ToDoubleArray();
        long launches = scope.Device.Launches;
        var loss = Functional.CrossEntropy(x, targets);
        Assert.Equal(scope.Device.Kind != DeviceKind.Cpu, scope.Device.Launches - launches > 3);
        var grad = Autograd.Grad(loss, [x])[0].ToDoubleArray();
        double expected = 0;
        for (int r = 0; r < rows; r++)
        {
            var row = values.Skip(r * classes).Take(classes).ToArray();
            double max = row.Max(), logSum = Math.Log(row.Sum(v => Math.Exp(v - max)));
            expected += (logSum - (row[targets[r]] - max)) / rows;
            for (int j = 0; j < classes; j++)
            {
                double p = Math.Exp(row[j] - max - logSum);
                double want = (p - (j == targets[r] ? 1 : 0)) / rows;
                Assert.True(Math.Abs(grad[r * classes + j] - want) <= 1e-7 + 1e-4 * Math.Abs(want),
                    $"∂L/∂x[{r}, {j}] = {grad[r * classes + j]}, expected {want} on {scope.Device}");
            }
        }
        Assert.Equal(expected, loss.Item(), 1e-4);
    }

    /// <summary>
    /// The fused MSE against the same loss written in ops, mean((p − t)·(p − t)), bit for bit (the same roundings, see
    /// Mse.cs): value and the gradients of prediction and target (both requiring grad), under an upstream gradient
    /// other than one, in float32 and float64; the closed form; and a float64 gradcheck of both inputs.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Fused_mse_matches_the_composed_formula_for_prediction_and_target(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var device = scope.Device;
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            double tolerance = dtype == DType.Float32 ? 1e-6 : 1e-14; // for the closed form, computed in double
            var p = Leaf(Waves(12, 1.3, 2), [3, 4], device, dtype);
            var t = Leaf(Waves(12, 0.7, 1.5), [3, 4], device, dtype);
            var fused = Functional.Mse(p, t) * 3f;
            var composed = ComposedMse(p, t) * 3f;
            Assert.Equal(dtype, fused.DType);
            Assert.Empty(fused.Shape);
            AssertClose(composed.ToDoubleArray(), fused.ToDoubleArray(), 0, $"{dtype} value");
            var g1 = Autograd.Grad(fused, [p, t]);
            var g2 = Autograd.Grad(composed, [p, t]);
            AssertClose(g2[0].ToDoubleArray(), g1[0].ToDoubleArray(), 0, $"{dtype} ∂L/∂prediction");
            AssertClose(g2[1].ToDoubleArray(), g1[1].ToDoubleArray(), 0, $"{dtype} ∂L/∂target");
            // The closed form, 3 · 2(p − t)/n, and the target's gradient its negation.
            var pv = p.ToDoubleArray();
            var tv = t.ToDoubleArray();
            AssertClose(pv.Select((v, i) => 6 * (v - tv[i]) / 12).ToArray(), g1[0].ToDoubleArray(), tolerance,
                $"{dtype} ∂L/∂prediction, closed form");
            AssertClose(g1[0].ToDoubleArray().Select(v => -v).ToArray(), g1[1].ToDoubleArray(), 0,
                $"{dtype} ∂L/∂target = −∂L/∂prediction");

            // Only the target requiring grad: its gradient alone, the same values.
            var fixedPrediction = p.Detach();
            var onlyTarget = Autograd.Grad(Functional.Mse(fixedPrediction, t) * 3f, [t])[0];
            AssertClose(g1[1].ToDoubleArray(), onlyTarget.ToDoubleArray(), 0, $"{dtype} ∂L/∂target alone");
        }
        var p64 = Leaf(Waves(6, 2.1, 1), [2, 3], device, DType.Float64);
        var t64 = Leaf(Waves(6, 0.4, 1), [2, 3], device, DType.Float64);
        Assert.True(Autograd.GradCheck(v => Functional.Mse(v[0], v[1]), [p64, t64]));
    }

    /// <summary>
    /// Strided inputs through the fused forward and backward: a transposed prediction against a sliced target and the
    /// other way round, in float32 and float64; large transposed and contiguous ones; single columns — each against
    /// the composed formula (bit for bit).
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Fused_mse_takes_transposed_and_sliced_inputs(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var device = scope.Device;
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var x = Leaf(Waves(20, 1.1, 3), [5, 4], device, dtype); // xᵀ: [4, 5]
            var y = Leaf(Waves(28, 0.3, 2), [4, 7], device, dtype); // y[:, 1:6]: [4, 5], offset 1, row stride 7
            foreach (bool swap in new[] { false, true })
            {
                Tensor Loss(Func<Tensor, Tensor, Tensor> mse) => swap
                    ? mse(y.Slice(1, 1, 6), x.Transpose(0, 1))
                    : mse(x.Transpose(0, 1), y.Slice(1, 1, 6));
                var fused = Loss(Functional.Mse);
                var composed = Loss(ComposedMse);
                string what = $"{dtype}, {(swap ? "sliced prediction" : "transposed prediction")}";
                AssertClose(composed.ToDoubleArray(), fused.ToDoubleArray(), 0, what + ": value");
                var g1 = Autograd.Grad(fused, [x, y]);
                var g2 = Autograd.Grad(composed, [x, y]);
                AssertClose(g2[0].ToDoubleArray(), g1[0].ToDoubleArray(), 0, what + ": ∂L/∂x");
                AssertClose(g2[1].ToDoubleArray(), g1[1].ToDoubleArray(), 0, what + ": ∂L/∂y");
            }
        }
        // Larger views, which the CPU device's loops split across cores (a transposed one row by row, contiguous ones
        // as one run each), and single columns, which walk memory as runs with a stride.
        var big = Tensor.Randn([300, 301], seed: 7, device: device, requiresGrad: true);
        var bigTarget = Tensor.Randn([301, 300], seed: 8, device: device);
        foreach (var (what, views) in new (string, Func<(Tensor, Tensor)>)[]
                 {
                     ("300×301 transposed", () => (big.Transpose(0, 1), bigTarget)),
                     ("300×301 contiguous", () => (big, bigTarget.Reshape(300, 301))),
                     ("columns", () => (big.Slice(1, 5, 6), bigTarget.Slice(0, 0, 300).Slice(1, 7, 8))),
                 })
        {
            var (p1, t1) = views();
            var fused = Functional.Mse(p1, t1);
            var (p2, t2) = views();
            var composed = ComposedMse(p2, t2);
            AssertClose(composed.ToDoubleArray(), fused.ToDoubleArray(), 0, what + ": value");
            AssertClose(Autograd.Grad(composed, [big])[0].ToDoubleArray(),
                Autograd.Grad(fused, [big])[0].ToDoubleArray(), 0, what + ": ∂L/∂prediction");
        }
    }

    /// <summary>
    /// Second derivatives through the fused MSE's backward (taken with createGraph, which switches to differentiable
    /// ops) equal the composed formula's bit for bit, for prediction and target: z = Σ w·(∂L/∂p)² + Σ v·∂L/∂t; and
    /// ∂z/∂t its closed form.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Fused_mse_matches_the_composed_formula_to_second_order(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var device = scope.Device;
        var p = Leaf(Waves(12, 1.7, 2), [4, 3], device, DType.Float64); // used as pᵀ: [3, 4], strided
        var t = Leaf(Waves(12, 0.9, 1), [3, 4], device, DType.Float64);
        var w = Tensor.FromArray(Waves(12, 0.5, 1), [3, 4], device);
        var v = Tensor.FromArray(Waves(12, 2.3, 1), [3, 4], device);
        double[][] SecondOrder(Func<Tensor, Tensor, Tensor> mse)
        {
            var first = Autograd.Grad(mse(p.Transpose(0, 1), t), [p, t], createGraph: true);
            var z = (first[0].Transpose(0, 1).Pow(2f) * w).Sum() + (first[1] * v).Sum();
            return Autograd.Grad(z, [p, t]).Select(g => g.ToDoubleArray()).ToArray();
        }
        var fused = SecondOrder(Functional.Mse);
        var composed = SecondOrder(ComposedMse);
        AssertClose(composed[0], fused[0], 0, "∂z/∂p");
        AssertClose(composed[1], fused[1], 0, "∂z/∂t");
        // With n = 12: ∂L/∂p = 2(p − t)/n, so ∂z/∂p = 8w(p − t)/n² (in pᵀ's layout) and ∂z/∂t = −8w(p − t)/n²; the
        // Σ v·∂L/∂t term is linear in (p − t) and adds ∓2v/n.
        var pt = p.Transpose(0, 1).ToDoubleArray();
        var tv = t.ToDoubleArray();
        var wv = w.ToDoubleArray();
        var vv = v.ToDoubleArray();
        var dzdt = tv.Select((_, i) => -8 * wv[i] * (pt[i] - tv[i]) / 144 + 2 * vv[i] / 12).ToArray();
        AssertClose(dzdt, fused[1], 1e-14, "∂z/∂t, closed form");
    }

    /// <summary>
    /// The fused MSE's cost on a [20, 1] prediction: two launches forward (squared differences, mean), one backward
    /// (the seed is the device's constant 1), one more when the target requires grad (the negation); nothing read
    /// back to the host.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Fused_mse_launches_two_kernels_forward_and_one_backward(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var device = scope.Device;
        (Tensor.Scalar(1f, device, requiresGrad: true) * 2f).Backward(); // the device's constant seed exists from here
        foreach (bool targetGrad in new[] { false, true })
        {
            var p = Tensor.Randn([20, 1], seed: 4, device: device, requiresGrad: true);
            var t = Tensor.Randn([20, 1], seed: 5, device: device, requiresGrad: targetGrad);
            long launches = device.Launches, reads = device.HostReads, writes = device.HostWrites;
            var loss = Functional.Mse(p, t);
            Assert.Equal(2, device.Launches - launches);
            launches = device.Launches;
            loss.Backward();
            Assert.Equal(1 + (targetGrad ? 1 : 0), device.Launches - launches); // the fused backward (+ negation)
            Assert.Equal(0, device.HostReads - reads);
            Assert.Equal(0, device.HostWrites - writes);
            Assert.Equal([20, 1], p.Grad!.Shape);
            Assert.Equal(targetGrad, t.Grad is not null);
        }
    }

    /// <summary>The mean of no elements is NaN (as PyTorch's mse_loss); the gradients are empty.</summary>
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Mse_of_empty_tensors_is_nan_with_empty_gradients(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var p = Tensor.Zeros([0, 3], scope.Device, dtype, requiresGrad: true);
            var t = Tensor.Zeros([0, 3], scope.Device, dtype, requiresGrad: true);
            var loss = Functional.Mse(p, t);
            Assert.Empty(loss.Shape);
            Assert.True(double.IsNaN(loss.ToDoubleArray()[0]), $"{dtype}: {loss.ToDoubleArray()[0]}");
            loss.Backward();
            Assert.Equal([0, 3], p.Grad!.Shape);
            Assert.Equal([0, 3], t.Grad!.Shape);
        }
    }

    [Fact]
    public void Mse_backward_primitive_names_what_does_not_fit()
    {
        var cpu = Device.Cpu;
        using var buffers = new BufferSet();
        var p = StridedView.Contiguous(buffers.Rent<float>(cpu, 6), 2, 3);
        var g = StridedView.Contiguous(buffers.Rent<float>(cpu, 1));
        var dx = buffers.Rent<float>(cpu, 6);
        var e = Assert.Throws<ArgumentException>(() => Primitives.MseBackward(p,
            StridedView.Contiguous(buffers.Rent<float>(cpu, 6), 3, 2), g, 1f, dx));
        Assert.Contains("(2, 3)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(3, 2)", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<ArgumentException>(() => Primitives.MseBackward(p, p,
            StridedView.Contiguous(buffers.Rent<float>(cpu, 2), 2), 1f, dx));
        Assert.Contains("one element", e.Message, StringComparison.Ordinal);
        Assert.Contains("(2,)", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<ArgumentException>(() => Primitives.MseBackward(p, p, g, 1f, buffers.Rent<float>(cpu, 5)));
        Assert.Contains("holds 5", e.Message, StringComparison.Ordinal);
        Assert.Contains("(2, 3)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mse_names_both_dtypes_when_they_differ()
    {
        using var tensors = Tensor.Scope();
        var a = Tensor.Zeros([2, 3], Device.Cpu);
        var b = Tensor.Zeros([2, 3], Device.Cpu, DType.Float64);
        var e = Assert.Throws<ArgumentException>(() => Functional.Mse(a, b));
        Assert.Contains("Mse", e.Message, StringComparison.Ordinal);
        Assert.Contains("Float32", e.Message, StringComparison.Ordinal);
        Assert.Contains("Float64", e.Message, StringComparison.Ordinal);
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

    /// <summary>
    /// The CPU device's host loops for the fused cross-entropy (vectorised rows, gathered strided rows, the scalar loop
    /// for short rows) against the kernels (the same accelerator with host loops off) and a float64 reference written
    /// here: loss and gradient under an upstream gradient of 0.75, in float32 and float64, for wide rows, a width that
    /// is no multiple of a vector, transposed and sliced logits; the forward still counts as two launches.
    /// </summary>
    [Fact]
    public void Fused_cross_entropy_host_loops_match_the_kernels_and_a_float64_reference()
    {
        var cases = new (string Name, int[] LeafShape, Func<Tensor, Tensor> View, int[] Targets)[]
        {
            ("3×1000", [3, 1000], v => v, [0, 999, 417]),
            ("5×37", [5, 37], v => v, [36, 0, 5, 17, 2]),
            ("transposed 37×5", [37, 5], v => v.Transpose(0, 1), [1, 36, 0, 20, 8]),
            ("column slice", [6, 50], v => v.Slice(1, 3, 43), [39, 0, 11, 25, 3, 38]),
            ("row slice of a transpose", [40, 9], v => v.Transpose(0, 1).Slice(0, 2, 7), [0, 39, 7, 13, 30]),
            ("short transposed rows", [5, 6], v => v.Transpose(0, 1), [4, 0, 2, 1, 3, 4]),
        };
        foreach (var (name, leafShape, view, targets) in cases)
        {
            int size = leafShape[0] * leafShape[1];
            // Spikes of +40 every 97 elements: a row's maximum sits far above the rest.
            var values = Enumerable.Range(0, size).Select(k => Math.Sin(k * 1.37 + 0.5) * 6 + (k % 97 == 5 ? 40 : 0))
                .ToArray();
            foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            {
                string what = $"{name} {dtype}";
                // Gradients are compared relatively (most are about 1e-4, some 1e-24). An exponent (x − m) − s near
                // −55 is good to an ulp or so of 55 (4e-6 in float32), which is the relative error of its e^(…); the
                // kernels need not round it alike (nor sum in the same order, nor share exp's last ulp), so both
                // comparisons allow a few of those. Where softmax is nearly 1 at the target, p − 1 cancels: there the
                // floor, an ulp of 1 times g/n ≤ 0.25, takes over.
                var (kernelTolerance, referenceTolerance, floor) =
                    dtype == DType.Float32 ? (2e-5, 2e-5, 3e-8) : (1e-13, 1e-12, 6e-17);
                var (hostLoss, hostGrad, hostForwardLaunches) = Run("cpu");
                var (kernelLoss, kernelGrad, _) = Run("cpu-ilgpu");
                Assert.Equal(2, hostForwardLaunches);
                AssertRelative([kernelLoss], [hostLoss], kernelTolerance, floor, $"{what}: loss against the kernels");
                AssertRelative(kernelGrad, hostGrad, kernelTolerance, floor, $"{what}: gradient against the kernels");

                var (referenceLoss, referenceGrad) = Reference(dtype == DType.Float32
                    ? Array.ConvertAll(values, v => (double)(float)v)
                    : values);
                AssertRelative([referenceLoss], [hostLoss], referenceTolerance, floor, $"{what}: loss against float64");
                AssertRelative(referenceGrad, hostGrad, referenceTolerance, floor,
                    $"{what}: gradient against float64");

                (double Loss, double[] Grad, long ForwardLaunches) Run(string deviceName)
                {
                    using var scope = TestDevices.Use(deviceName);
                    using var tensors = Tensor.Scope();
                    var leaf = Leaf(values, leafShape, scope.Device, dtype);
                    var logits = view(leaf);
                    long launches = scope.Device.Launches;
                    var loss = Functional.CrossEntropy(logits, targets);
                    long forward = scope.Device.Launches - launches;
                    var grad = Autograd.Grad(loss * 0.75f, [leaf])[0];
                    return (loss.ToDoubleArray()[0], grad.ToDoubleArray(), forward);
                }
            }

            // The view's element (i, j) is the leaf's element at flat index Index(i, j): found by viewing the
            // leaf's own positions.
            (double Loss, double[] Grad) Reference(double[] leafValues)
            {
                using var tensors = Tensor.Scope();
                var positions = view(Tensor.FromArray(Enumerable.Range(0, size).Select(k => (double)k).ToArray(),
                    leafShape, Device.Cpu));
                int n = positions.Shape[0], classes = positions.Shape[1];
                var index = Array.ConvertAll(positions.ToDoubleArray(), k => (int)k);
                var grad = new double[size];
                double total = 0;
                for (int i = 0; i < n; i++)
                {
                    var row = Enumerable.Range(0, classes).Select(j => leafValues[index[i * classes + j]]).ToArray();
                    double max = row.Max();
                    double logSum = Math.Log(row.Sum(v => Math.Exp(v - max)));
                    total += logSum - (row[targets[i]] - max);
                    for (int j = 0; j < classes; j++)
                    {
                        double p = Math.Exp(row[j] - max - logSum);
                        grad[index[i * classes + j]] = (p - (j == targets[i] ? 1 : 0)) * 0.75 / n;
                    }
                }
                return (total / n, grad);
            }
        }
    }

    private static Tensor ComposedMse(Tensor p, Tensor t)
    {
        var diff = p - t;
        return (diff * diff).Mean();
    }

    private static double[] Waves(int count, double frequency, double amplitude) =>
        Enumerable.Range(0, count).Select(i => Math.Sin(i * frequency + 0.25) * amplitude).ToArray();

    private static Tensor Leaf(double[] values, int[] shape, Device device, DType dtype)
    {
        var leaf = Tensor.FromArray(values, shape, device).To(dtype);
        leaf.RequiresGrad = true;
        return leaf;
    }

    private static void AssertClose(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])),
                string.Create(CultureInfo.InvariantCulture,
                    $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}"));
        }
    }

    private static void AssertRelative(double[] expected, double[] actual, double relative, double floor,
        string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= relative * Math.Abs(expected[i]) + floor,
                string.Create(CultureInfo.InvariantCulture,
                    $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}"));
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
