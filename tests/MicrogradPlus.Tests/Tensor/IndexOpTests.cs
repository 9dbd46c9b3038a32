using MicrogradPlus.Nn;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Tensor;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// Int32 index tensors and the ops built on them (gather, scatter-add, index-select, one-hot, sort, topk, argmax,
/// cross-entropy options, embedding) and the new shape and scan ops: float64 gradchecks, second order, edge cases
/// (empty, size-1 dims, negative axes, ties, NaN) and the errors for bad arguments, on every device. Values against
/// PyTorch are in <see cref="OpsBGoldenTests"/>.
/// </summary>
public class IndexOpTests
{
    private static Tensor Wavy(int[] shape, int seed, Device device) =>
        Tensor.FromArray(Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b))
            .Select(i => 1.5 * Math.Sin(seed + 1.7 * i)).ToArray(), shape, device);

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Int32_tensors_round_trip_convert_and_print(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var device = scope.Device;
        var i = Tensor.FromArray([3, -1, 0, 7, 2, 5], [2, 3], device);
        Assert.Equal(DType.Int32, i.DType);
        Assert.Equal([3, -1, 0, 7, 2, 5], i.ToInt32Array());
        Assert.Equal([3f, -1f, 0f, 7f, 2f, 5f], i.ToArray());
        Assert.Equal([3, 7, -1, 2, 0, 5], i.Transpose(0, 1).ToInt32Array()); // a strided view materialises
        Assert.Equal([3d, -1d, 0d, 7d, 2d, 5d], i.To(DType.Float64).ToDoubleArray());
        var f = Tensor.FromArray([1.9f, -1.9f, 0.5f, 2f], [4], device);
        Assert.Equal([1, -1, 0, 2], f.To(DType.Int32).ToInt32Array()); // truncation toward zero, as torch
        Assert.Equal([1, -1, 0, 2], f.To(DType.Float64).To(DType.Int32).ToInt32Array());
        Assert.Equal([3, 0, 7, 5], Tensor.Cat([i.Slice(1, 0, 1), i.Slice(1, 2, 3)], 1).Reshape(4).ToInt32Array());
        Assert.Equal([0, 0, 0], Tensor.Zeros([3], device, DType.Int32).ToInt32Array());
        Assert.Equal(i.ToInt32Array(), i.To(Device.Cpu).ToInt32Array());
        Assert.Contains("[[3, -1, 0], [7, 2, 5]]", i.ToString(), StringComparison.Ordinal);
        Assert.Contains("dtype=int32", i.ToString(), StringComparison.Ordinal);

        var grad = Assert.Throws<InvalidOperationException>(() => i.RequiresGrad = true);
        Assert.Contains("Int32", grad.Message, StringComparison.Ordinal);
        var floatOp = Assert.Throws<InvalidOperationException>(() => i.Exp());
        Assert.Contains("To(DType.", floatOp.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => f.ToInt32Array());
        Assert.Empty(Tensor.FromArray(Array.Empty<int>(), [0, 2], device).ToInt32Array());
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Index_ops_pass_gradcheck_in_float64(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var device = scope.Device;
        var x = Wavy([3, 4], 1, device);
        var src = Wavy([3, 2], 2, device);
        var index = Tensor.FromArray([0, 3, 2, 2, 1, 0], [3, 2], device);
        var rows = Tensor.FromArray([2, 0, 2], [3], device);
        Assert.True(Autograd.GradCheck(t => t[0].Gather(1, index), [x]));
        Assert.True(Autograd.GradCheck(t => t[0].ScatterAdd(-1, index, t[1]), [x, src]));
        Assert.True(Autograd.GradCheck(t => t[0].IndexSelect(0, rows), [x]));
        Assert.True(Autograd.GradCheck(t => t[0].IndexSelect(-1, rows), [x]));
        Assert.True(Autograd.GradCheck(t => t[0].CumSum(1) * t[0], [x]));
        Assert.True(Autograd.GradCheck(t => t[0].Sort(1, descending: true).Values, [x]));
        Assert.True(Autograd.GradCheck(t => t[0].TopK(2, 0).Values, [x]));
        Assert.True(Autograd.GradCheck(t => t[0].Slice(1, 0, 4, 3), [x]));
        Assert.True(Autograd.GradCheck(t => t[0].Flip(0, -1), [x]));
        Assert.True(Autograd.GradCheck(t => t[0].Repeat(2, 1, 2), [x]));
        Assert.True(Autograd.GradCheck(t => t[0].Roll(-5, 1), [x]));
        Assert.True(Autograd.GradCheck(t => t[0].Pad([1, -1, 2, 0], 3f), [x]));
        Assert.True(Autograd.GradCheck(t => t[0].Tril(1) + t[0].Triu(-1), [x]));
        Assert.True(Autograd.GradCheck(t => t[0].Chunk(2, 1)[1] * t[0].Split(2, 1)[0], [x]));
        var target = Tensor.FromArray([1, 3, -100], [3], device);
        var weight = Tensor.FromArray([0.5, 1, 2, 1.5], [4], device);
        Assert.True(Autograd.GradCheck(
            t => Functional.CrossEntropy(t[0], target, weight, labelSmoothing: 0.1f), [x]));
        var probabilities = x.Softmax(1).Detach();
        Assert.True(Autograd.GradCheck(t => Functional.CrossEntropy(t[0], t[1], reduction: "sum"),
            [x, probabilities]));
        var lookup = Tensor.FromArray([0, 2, 0], [3], device);
        // Padding row 1 is not looked up: its gradient is 0 either way, and the mask must not disturb the others.
        Assert.True(Autograd.GradCheck(t => Functional.Embedding(lookup, t[0], paddingIdx: 1), [x]));
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Gather_has_second_order_gradients(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var x = Wavy([2, 3], 3, scope.Device);
        x.RequiresGrad = true;
        var index = Tensor.FromArray([2, 2, 0, 1], [2, 2], scope.Device);
        // y = Σ gather(x²): ∂y/∂x = 2x·count, ∂²(Σ ∂y/∂x)/∂x = 2·count, where count is how often x was picked.
        var first = Autograd.Grad((x * x).Gather(1, index).Sum(), [x], createGraph: true)[0];
        var second = Autograd.Grad(first.Sum(), [x])[0];
        Assert.Equal([0d, 0d, 4d, 2d, 2d, 0d], second.ToDoubleArray());
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Sort_topk_and_argmax_follow_the_documented_ties_and_nan(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var x = Tensor.FromArray([2f, float.NaN, 1f, 2f, -1f], [1, 5], scope.Device);
        var (ascending, order) = x.Sort(-1);
        Assert.Equal([4, 2, 0, 3, 1], order.ToInt32Array()); // stable; NaN last
        Assert.True(float.IsNaN(ascending.ToArray()[4]));
        Assert.Equal([1, 0, 3, 2, 4], x.Sort(1, descending: true).Indices.ToInt32Array()); // NaN first
        Assert.Equal([1, 0, 3], x.TopK(3, 1).Indices.ToInt32Array());
        Assert.Equal([1], x.ArgMax(1).ToInt32Array());
        Assert.Equal([1], x.ArgMin(1).ToInt32Array()); // NaN counts as extreme both ways, as torch
        var ties = Tensor.FromArray([5f, 5f, 5f], [3], scope.Device);
        Assert.Equal([0, 1, 2], ties.TopK(3).Indices.ToInt32Array());
        Assert.Equal([0], ties.ArgMax(0, keepDim: true).ToInt32Array());
        Assert.Equal([1], ties.ArgMax(0, keepDim: true).Shape);
        Assert.Empty(ties.TopK(0).Values.ToArray());
        Assert.Equal([4, 0], Tensor.Zeros([4, 0], scope.Device).Sort(1).Indices.Shape);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Strided_views_give_what_their_contiguous_copies_give(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var device = scope.Device;
        var view = Wavy([4, 3, 2], 5, device).Permute(2, 0, 1).Slice(1, 0, 4, 2); // (2, 2, 3), no unit stride
        var dense = view.Clone();
        Assert.False(view.IsContiguous);
        var index = Tensor.FromArray([2, 0, 1, 1, 0, 2, 2, 2, 0, 1, 0, 0], [2, 2, 3], device).Transpose(1, 2)
            .Slice(1, 0, 2);
        Assert.Equal(dense.Gather(2, index.Clone()).ToDoubleArray(), view.Gather(2, index).ToDoubleArray());
        Assert.Equal(dense.Sort(-1).Values.ToDoubleArray(), view.Sort(-1).Values.ToDoubleArray());
        Assert.Equal(dense.Sort(0, true).Indices.ToInt32Array(), view.Sort(0, true).Indices.ToInt32Array());
        Assert.Equal(dense.CumSum(1).ToDoubleArray(), view.CumSum(1).ToDoubleArray());
        Assert.Equal(dense.Flip(0, 2).ToDoubleArray(), view.Flip(0, 2).ToDoubleArray());
        Assert.Equal(dense.Tril(-1).ToDoubleArray(), view.Tril(-1).ToDoubleArray());
        Assert.Equal(dense.ArgMax(1).ToInt32Array(), view.ArgMax(1).ToInt32Array());
        var src = Wavy([2, 2, 3], 6, device).Transpose(0, 1);
        Assert.Equal(dense.ScatterAdd(2, index.Transpose(0, 1).Clone(), src.Clone()).ToDoubleArray(),
            view.ScatterAdd(2, index.Transpose(0, 1), src).ToDoubleArray());
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Shape_ops_handle_empty_and_size_one_dimensions(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var device = scope.Device;
        var empty = Tensor.Zeros([0, 3], device);
        Assert.Equal([0, 3], empty.Flip(0).Shape);
        Assert.Equal([0, 3], empty.CumSum(0).Shape);
        Assert.Equal([0, 6], empty.Repeat(2, 2).Shape);
        Assert.Equal([0, 3], empty.Roll(2, 0).Shape);
        Assert.Equal([2, 5], empty.Pad([1, 1, 1, 1]).Shape);
        Assert.Equal([0, 3], empty.Tril().Shape);
        Assert.Equal([0, 3], empty.Gather(0, Tensor.Zeros([0, 3], device, DType.Int32)).Shape);
        Assert.Equal([0, 3], empty.Slice(0, 0, 5, 2).Shape);
        Assert.Equal([1, 1], Tensor.Ones([1, 3], device).Slice(1, 0, 3, 5).Shape);
        Assert.Equal([1d, 2d, 3d], Tensor.FromArray([1d, 1d, 1d], [1, 3], device).CumSum(-1).ToDoubleArray());
        Assert.Equal([1d, 0d, 0d, 0d, 1d, 0d, 0d, 0d, 1d], Tensor.Eye(3, device).ToDoubleArray());
        Assert.Equal(new double[9], Tensor.Eye(3, device).Flip(0).Tril(-1).Triu(1).ToDoubleArray());
        Assert.Empty(Tensor.Linspace(0f, 1f, 0, device).ToArray());
        Assert.Equal([4f, 0f, 0f, 1f], Tensor.OneHot(Tensor.FromArray([0, 0, 0, 0, 3], [5], device), 4,
            DType.Float32).Sum(0).ToArray());
        Assert.Equal([1, 4], Tensor.FromArray([1, 2, 3, 4], [1, 4], device).Split(10, 1)[0].Shape);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Bad_indices_and_arguments_raise_clear_errors(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var device = scope.Device;
        var x = Tensor.Zeros([3, 4], device);
        var bad = Assert.Throws<ArgumentOutOfRangeException>(
            () => x.Gather(1, Tensor.FromArray([0, 4, 1], [3, 1], device)));
        Assert.Contains("index 4", bad.Message, StringComparison.Ordinal);
        Assert.Contains("axis 1 of size 4", bad.Message, StringComparison.Ordinal);
        bad = Assert.Throws<ArgumentOutOfRangeException>(() => x.IndexSelect(0, Tensor.FromArray([-1], [1], device)));
        Assert.Contains("index -1", bad.Message, StringComparison.Ordinal);
        Assert.Contains("axis 0 of size 3", bad.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Gather(2, Tensor.Zeros([3, 4], device, DType.Int32)));
        var rank = Assert.Throws<ArgumentException>(() => x.Gather(0, Tensor.Zeros([3], device, DType.Int32)));
        Assert.Contains("(3, 4)", rank.Message, StringComparison.Ordinal);
        var dtype = Assert.Throws<ArgumentException>(() => x.Gather(0, Tensor.Zeros([3, 4], device)));
        Assert.Contains("Int32", dtype.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => x.IndexSelect(0, Tensor.Zeros([1, 1], device, DType.Int32)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.OneHot(Tensor.FromArray([3], [1], device), 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.TopK(5, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Slice(0, 0, 3, 0));
        Assert.Throws<ArgumentException>(() => x.Flip(0, -2));
        Assert.Throws<ArgumentException>(() => x.Repeat(2));
        Assert.Throws<ArgumentException>(() => x.Pad([1, 1, 1]));
        Assert.Throws<ArgumentException>(() => Tensor.Zeros([3], device).Tril());

        var target = Assert.Throws<ArgumentOutOfRangeException>(
            () => Functional.CrossEntropy(x, Tensor.FromArray([0, 4, 1], [3], device)));
        Assert.Contains("target 4 at position 1", target.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(
            () => Functional.CrossEntropy(x, Tensor.FromArray([0, 1], [2], device)));
        Assert.Throws<ArgumentException>(
            () => Functional.CrossEntropy(x, Tensor.FromArray([0, 1, 1], [3], device), reduction: "avg"));
        Assert.Throws<ArgumentException>(
            () => Functional.NllLoss(x, Tensor.FromArray([0, 1, 1], [3], device), Tensor.Ones([3], device)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Embedding(4, 2, paddingIdx: 4, device: device));
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Cross_entropy_fused_and_composed_paths_agree(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var device = scope.Device;
        var logits = Wavy([4, 5], 7, device).To(DType.Float32);
        logits.RequiresGrad = true;
        var target = Tensor.FromArray([4, 0, 2, 2], [4], device);
        var fused = Functional.CrossEntropy(logits, target);
        Assert.Equal("cross_entropy", fused.GradFnName);
        var fusedGrad = Autograd.Grad(fused, [logits])[0].ToArray();
        // "sum" / n takes the composed path: same loss and gradient.
        var composed = Functional.CrossEntropy(logits, target, reduction: "sum") / 4f;
        var composedGrad = Autograd.Grad(composed, [logits])[0].ToArray();
        Assert.Equal(fused.Item(), composed.Item(), 5);
        for (int i = 0; i < fusedGrad.Length; i++)
        {
            Assert.Equal(fusedGrad[i], composedGrad[i], 5);
        }
        // Every target ignored: the weighted mean is 0/0, NaN, as in PyTorch.
        var none = Tensor.FromArray([-100, -100, -100, -100], [4], device);
        Assert.True(float.IsNaN(Functional.CrossEntropy(logits, none).Item()));
        Assert.Equal(0f, Functional.CrossEntropy(logits, none, reduction: "sum").Item());
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Embedding_is_seeded_and_keeps_the_padding_row_out_of_training(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var device = scope.Device;
        Tensor.ManualSeed(42);
        using var a = new Embedding(6, 3, paddingIdx: -1, device: device);
        using var b = new Embedding(6, 3, paddingIdx: 5, device: device);
        Tensor.ManualSeed(42);
        using var c = new Embedding(6, 3, paddingIdx: 5, device: device);
        Assert.Equal(5, a.PaddingIdx);
        Assert.NotEqual(a.Weight.ToArray(), b.Weight.ToArray());
        Assert.Equal(a.Weight.ToArray(), c.Weight.ToArray());
        Assert.Equal([0f, 0f, 0f], a.Weight.ToArray()[15..]);
        Assert.Equal("Embedding(6, 3, padding_idx=5)", a.ToString());
        Assert.Equal(["weight"], a.NamedParameters().Select(p => p.Name));
        var w = a.Weight.ToArray();
        var mean = w[..15].Average();
        Assert.InRange(mean, -1.2, 1.2); // N(0, 1) draws, not uniform in ±1/√n

        var input = Tensor.FromArray([5, 1, 1, 0], [2, 2], device);
        var y = a.Forward(input);
        Assert.Equal([2, 2, 3], y.Shape);
        Assert.Equal(w[3..6], y.ToArray()[3..6]);
        (y * y).Sum().Backward();
        var grad = a.Weight.Grad!.ToArray();
        Assert.Equal([0f, 0f, 0f], grad[15..]); // the padding row gets nothing
        Assert.Equal(4 * w[3], grad[3], 5); // row 1 was looked up twice: 2·(2w)
        Assert.Equal(0f, grad[6]);
    }
}
