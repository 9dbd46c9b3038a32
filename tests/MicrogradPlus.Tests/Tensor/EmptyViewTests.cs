using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Tensor;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// Zero-length views: empty slices taken at the start, the middle and the end of an axis of contiguous 1-D and 2-D
/// tensors, in float32 and float64, through every public element-wise op, the reductions, copies, dtype and device
/// moves, and backward. A slice at the end of an axis starts at the end of its buffer, so a kernel path that cuts a
/// sub-view at the view's offset must not treat offset = length as out of bounds. Results follow PyTorch: empty
/// results of the broadcast shape, a sum over nothing is 0, a mean NaN, a logsumexp −∞, a max or min throws.
/// </summary>
public class EmptyViewTests
{
    private static readonly DType[] DTypes = [DType.Float32, DType.Float64];

    private static readonly (string Name, Func<Tensor, Tensor> Op)[] UnaryOps =
    [
        ("exp", x => x.Exp()), ("log", x => x.Log()), ("sqrt", x => x.Sqrt()), ("abs", x => x.Abs()),
        ("sigmoid", x => x.Sigmoid()), ("tanh", x => x.Tanh()), ("relu", x => x.Relu()),
        ("leaky_relu", x => x.LeakyRelu(0.2f)), ("gelu", x => x.Gelu()), ("neg", x => -x),
        ("pow(2)", x => x.Pow(2f)), ("pow(0.5)", x => x.Pow(0.5f)), ("pow(2, x)", x => Tensor.Pow(2f, x)),
        ("x + s", x => x + 1.5f), ("s + x", x => 1.5f + x), ("x - s", x => x - 1.5f), ("s - x", x => 1.5f - x),
        ("x * s", x => x * 1.5f), ("s * x", x => 1.5f * x), ("x / s", x => x / 1.5f), ("s / x", x => 1.5f / x),
        ("eq(s)", x => x.Eq(1f)), ("ne(s)", x => x.Ne(1f)), ("gt(s)", x => x.Gt(1f)), ("ge(s)", x => x.Ge(1f)),
        ("lt(s)", x => x.Lt(1f)), ("le(s)", x => x.Le(1f)),
        ("softmax", x => x.Softmax(-1)), ("log_softmax", x => x.LogSoftmax(-1)),
    ];

    private static readonly (string Name, Func<Tensor, Tensor, Tensor> Op)[] BinaryOps =
    [
        ("add", (a, b) => a + b), ("sub", (a, b) => a - b), ("mul", (a, b) => a * b), ("div", (a, b) => a / b),
        ("pow", (a, b) => a.Pow(b)), ("maximum", (a, b) => a.Maximum(b)), ("minimum", (a, b) => a.Minimum(b)),
        ("eq", (a, b) => a.Eq(b)), ("ne", (a, b) => a.Ne(b)), ("gt", (a, b) => a.Gt(b)), ("ge", (a, b) => a.Ge(b)),
        ("lt", (a, b) => a.Lt(b)), ("le", (a, b) => a.Le(b)),
    ];

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Unary_ops_on_empty_slices_give_empty_results(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var all = Tensor.Scope();
        foreach (var dtype in DTypes)
        {
            foreach (var (where, source, slice) in EmptySlices(scope.Device, dtype))
            {
                using var tensors = Tensor.Scope();
                foreach (var (op, f) in UnaryOps)
                {
                    AssertEmpty($"{op} of {where}", slice.Shape, dtype, f(slice));
                }
                AssertSourceIntact(where, source, dtype);
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Binary_ops_with_an_empty_slice_broadcast_to_empty_results(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var all = Tensor.Scope();
        var device = scope.Device;
        foreach (var dtype in DTypes)
        {
            foreach (var (where, _, slice) in EmptySlices(device, dtype))
            {
                using var tensors = Tensor.Scope();
                // Partners that broadcast against the slice: the same empty slice, a 0-d scalar, ones along every
                // axis, and the slice's shape with the empty axis widened to 1 (a normal, non-empty tensor).
                var partners = new List<(string Name, Tensor Tensor)>
                {
                    ("itself", slice),
                    ("an empty clone", slice.Clone()),
                    ("a scalar", Tensor.Full([], 2f, device, dtype)),
                    ("ones of rank 1", Tensor.Full([1], 2f, device, dtype)),
                };
                int emptyAxis = Array.IndexOf(slice.Shape, 0);
                var widened = slice.Shape;
                widened[emptyAxis] = 1;
                partners.Add(($"{Format(widened)}", Tensor.Full(widened, 2f, device, dtype)));
                if (slice.Rank == 2)
                {
                    // The trailing axis alone: [4] against [0, 4]; [1] against [3, 0] is covered above.
                    partners.Add(("a row", Tensor.Full([slice.Shape[1] == 0 ? 1 : slice.Shape[1]], 2f, device,
                        dtype)));
                }
                foreach (var (partner, other) in partners)
                {
                    foreach (var (op, f) in BinaryOps)
                    {
                        AssertEmpty($"{op} of {where} with {partner}", slice.Shape, dtype, f(slice, other));
                        AssertEmpty($"{op} of {partner} with {where}", slice.Shape, dtype, f(other, slice));
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Reductions_over_an_empty_axis_follow_pytorch(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var all = Tensor.Scope();
        foreach (var dtype in DTypes)
        {
            foreach (var (where, _, slice) in EmptySlices(scope.Device, dtype))
            {
                using var tensors = Tensor.Scope();
                int emptyAxis = Array.IndexOf(slice.Shape, 0);
                int[] kept = slice.Shape.Where((_, d) => d != emptyAxis).ToArray();
                int keptSize = kept.Aggregate(1, (p, d) => p * d);

                // Over every axis: one value.
                AssertValues($"sum of {where}", [], [0], slice.Sum());
                AssertValues($"mean of {where}", [], [double.NaN], slice.Mean());
                AssertValues($"logsumexp of {where}", [], [double.NegativeInfinity], slice.LogSumExp());
                AssertEmptyAxisError($"max of {where}", () => slice.Max());
                AssertEmptyAxisError($"min of {where}", () => slice.Min());

                // Over the empty axis: one value per kept position.
                AssertValues($"sum over the empty axis of {where}", kept, Repeat(0, keptSize),
                    slice.Sum(emptyAxis));
                AssertValues($"mean over the empty axis of {where}", kept, Repeat(double.NaN, keptSize),
                    slice.Mean(emptyAxis));
                AssertValues($"logsumexp over the empty axis of {where}", kept,
                    Repeat(double.NegativeInfinity, keptSize), slice.LogSumExp(emptyAxis));
                var keptDim = (int[])slice.Shape.Clone();
                keptDim[emptyAxis] = 1;
                AssertValues($"sum over the empty axis of {where}, kept", keptDim, Repeat(0, keptSize),
                    slice.Sum(emptyAxis, keepDim: true));
                AssertEmptyAxisError($"max over the empty axis of {where}", () => slice.Max(emptyAxis));
                AssertEmptyAxisError($"min over the empty axis of {where}", () => slice.Min(emptyAxis));

                // Over another axis (2-D): nothing to reduce into, an empty result.
                if (slice.Rank == 2)
                {
                    int other = 1 - emptyAxis;
                    int[] rest = [slice.Shape[emptyAxis]];
                    AssertEmpty($"sum over axis {other} of {where}", rest, dtype, slice.Sum(other));
                    AssertEmpty($"mean over axis {other} of {where}", rest, dtype, slice.Mean(other));
                    AssertEmpty($"max over axis {other} of {where}", rest, dtype, slice.Max(other));
                    AssertEmpty($"min over axis {other} of {where}", rest, dtype, slice.Min(other));
                    AssertEmpty($"logsumexp over axis {other} of {where}", rest, dtype, slice.LogSumExp(other));
                    Assert.Empty(slice.ArgMaxIndices(other));
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Copies_reshapes_and_joins_of_empty_slices(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var all = Tensor.Scope();
        var device = scope.Device;
        foreach (var dtype in DTypes)
        {
            foreach (var (where, source, slice) in EmptySlices(device, dtype))
            {
                using var tensors = Tensor.Scope();
                var shape = slice.Shape;
                AssertEmpty($"clone of {where}", shape, dtype, slice.Clone());
                AssertEmpty($"detach of {where}", shape, dtype, slice.Detach());
                Assert.Empty(slice.ToArray());
                Assert.Empty(slice.ToDoubleArray());

                int[] reversed = [.. shape.Reverse()];
                AssertEmpty($"reshape of {where}", reversed, dtype, slice.Reshape(reversed));
                AssertEmpty($"flat reshape of {where}", [0], dtype, slice.Reshape(0));
                AssertEmpty($"unsqueeze then exp of {where}", [1, .. shape], dtype, slice.Unsqueeze(0).Exp());
                if (slice.Rank == 2)
                {
                    AssertEmpty($"transpose then exp of {where}", reversed, dtype, slice.Transpose(0, 1).Exp());
                    AssertEmpty($"transpose then clone of {where}", reversed, dtype,
                        slice.Transpose(0, 1).Clone());
                    AssertEmpty($"transpose then reshape of {where}", [0], dtype,
                        slice.Transpose(0, 1).Reshape(0));
                    AssertEmpty($"expand of {where}", [2, .. shape], dtype,
                        slice.Unsqueeze(0).Expand([2, .. shape]).Clone());
                    AssertEmpty($"matmul of {where}", [shape[0], 2], dtype,
                        slice.MatMul(Tensor.Full([shape[1], 2], 1f, device, dtype)), expectZeros: true);
                }

                // Joining with an empty piece gives the other pieces; stacking empty pieces gives an empty stack.
                int emptyAxis = Array.IndexOf(shape, 0);
                var full = source;
                if (Enumerable.Range(0, shape.Length).All(d => d == emptyAxis || shape[d] == full.Shape[d]))
                {
                    AssertValues($"cat of {where} at the front", full.Shape, full.ToDoubleArray(),
                        Tensor.Cat([slice, full], emptyAxis));
                    AssertValues($"cat of {where} at the back", full.Shape, full.ToDoubleArray(),
                        Tensor.Cat([full, slice], emptyAxis));
                }
                AssertEmpty($"cat of {where} twice", shape, dtype, Tensor.Cat([slice, slice], emptyAxis));
                AssertEmpty($"stack of {where}", [2, .. shape], dtype, Tensor.Stack([slice, slice.Clone()]));
                AssertEmpty($"stack of {where} on the last axis", [.. shape, 2], dtype,
                    Tensor.Stack([slice, slice], -1));
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Dtype_and_device_moves_of_empty_slices(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var all = Tensor.Scope();
        foreach (var dtype in DTypes)
        {
            var other = dtype == DType.Float32 ? DType.Float64 : DType.Float32;
            // Not a view: an empty tensor whose contiguous strides are (1, 1), as PyTorch gives (3, 0).
            AssertEmpty($"a {dtype} (3, 0) tensor to {other}", [3, 0], other,
                Tensor.Zeros([3, 0], scope.Device, dtype).To(other));
            foreach (var (where, _, slice) in EmptySlices(scope.Device, dtype))
            {
                using var tensors = Tensor.Scope();
                var converted = slice.To(other);
                AssertEmpty($"{where} to {other}", slice.Shape, other, converted);
                AssertEmpty($"{where} to {other} and back", slice.Shape, dtype, converted.To(dtype));
                AssertEmpty($"exp of {where} to {other}", slice.Shape, other, slice.To(other).Exp());
                foreach (var target in Device.Available)
                {
                    var moved = slice.To(target);
                    Assert.Same(target, moved.Device);
                    AssertEmpty($"{where} to {target}", slice.Shape, dtype, moved);
                    AssertEmpty($"{where} to {target} and back", slice.Shape, dtype, moved.To(scope.Device));
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Backward_through_empty_slices_gives_zero_gradients(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var all = Tensor.Scope();
        var device = scope.Device;
        (string Name, Func<Tensor, Tensor, Tensor> Loss)[] losses =
        [
            ("sum of exp", (s, _) => s.Exp().Sum()),
            ("sum of tanh", (s, _) => s.Tanh().Sum()),
            ("sum of a product with a weight", (s, w) => (s * w).Sum()),
            ("sum of a weight over it", (s, w) => (w / (s + 1f)).Sum()),
            ("sum of pow", (s, w) => s.Pow(w).Sum()),
            ("sum of a clone", (s, _) => s.Clone().Sum()),
            ("sum of float64", (s, _) => s.To(DType.Float64).Sum()),
            ("sum of a reshape", (s, _) => s.Reshape(0).Sum()),
            ("logsumexp", (s, _) => s.Exp().LogSumExp()),
            ("sum of a cat", (s, w) => Tensor.Cat([s, s * w], Array.IndexOf(s.Shape, 0)).Sum()),
        ];
        foreach (var dtype in DTypes)
        {
            foreach (var (where, source, cut) in EmptyCuts(device, dtype))
            {
                foreach (var (name, loss) in losses)
                {
                    using var tensors = Tensor.Scope();
                    var x = source.Detach();
                    x.RequiresGrad = true;
                    var slice = cut(x);
                    var widened = slice.Shape;
                    widened[Array.IndexOf(widened, 0)] = 1;
                    var w = Tensor.Full(widened, 0.5f, device, dtype, requiresGrad: true);
                    var y = loss(slice, w);
                    Assert.Empty(y.Shape);
                    y.Backward();
                    string what = $"{name} of {where}";
                    AssertValues($"∂({what})/∂x", x.Shape, Repeat(0, x.Size), x.Grad!);
                    if (w.Grad is not null)
                    {
                        AssertValues($"∂({what})/∂w", widened, Repeat(0, w.Size), w.Grad);
                    }
                }
            }
        }
    }

    // ---- the empty slices ---------------------------------------------------------------------------------------

    // Contiguous sources: x1 = [3] and x2 = [3, 4], holding 1, 2, 3, …; empty slices of each axis at 0, 1 and the
    // axis length (the last starts at the end of the buffer for the leading axis).
    private static IEnumerable<(string Where, Tensor Source, Tensor Slice)> EmptySlices(Device device, DType dtype) =>
        EmptyCuts(device, dtype).Select(c => (c.Where, c.Source, c.Cut(c.Source)));

    // The same, with the cut itself, to take the slice of another tensor of the source's shape.
    private static IEnumerable<(string Where, Tensor Source, Func<Tensor, Tensor> Cut)> EmptyCuts(Device device,
        DType dtype)
    {
        foreach (int[] shape in (int[][])[[3], [3, 4]])
        {
            for (int axis = 0; axis < shape.Length; axis++)
            {
                foreach (int at in (int[])[0, 1, shape[axis]])
                {
                    var source = Source(shape, device, dtype);
                    string where = $"{dtype} {Format(shape)}.Slice({axis}, {at}, {at})";
                    (int a, int i) = (axis, at);
                    yield return (where, source, t => t.Slice(a, i, i));
                }
            }
        }
    }

    private static Tensor Source(int[] shape, Device device, DType dtype)
    {
        int size = shape.Aggregate(1, (p, d) => p * d);
        var values = Enumerable.Range(1, size).Select(i => (float)i).ToArray();
        var x = Tensor.FromArray(values, shape, device);
        if (dtype == DType.Float32)
        {
            return x;
        }
        using (x)
        {
            return Tensor.FromArray(Array.ConvertAll(values, v => (double)v), shape, device);
        }
    }

    private static void AssertSourceIntact(string where, Tensor source, DType dtype)
    {
        Assert.Equal(dtype, source.DType);
        var expected = Enumerable.Range(1, source.Size).Select(i => (double)i).ToArray();
        Assert.True(expected.SequenceEqual(source.ToDoubleArray()), $"the source of {where} changed");
    }

    private static void AssertEmpty(string what, int[] shape, DType dtype, Tensor actual, bool expectZeros = false)
    {
        Assert.True(shape.SequenceEqual(actual.Shape),
            $"{what}: shape {Format(actual.Shape)}, expected {Format(shape)}");
        Assert.True(dtype == actual.DType, $"{what}: dtype {actual.DType}, expected {dtype}");
        var values = actual.ToDoubleArray();
        if (expectZeros)
        {
            Assert.True(values.All(v => v == 0), $"{what}: expected zeros, got [{string.Join(", ", values)}]");
        }
        else
        {
            Assert.True(values.Length == 0, $"{what}: expected no elements, got {values.Length}");
        }
    }

    private static void AssertValues(string what, int[] shape, double[] expected, Tensor actual)
    {
        Assert.True(shape.SequenceEqual(actual.Shape),
            $"{what}: shape {Format(actual.Shape)}, expected {Format(shape)}");
        var values = actual.ToDoubleArray();
        Assert.True(expected.Length == values.Length && expected.Zip(values).All(p => p.First.Equals(p.Second)),
            $"{what}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", values)}]");
    }

    private static void AssertEmptyAxisError(string what, Func<Tensor> reduction)
    {
        var error = Assert.Throws<ArgumentException>(reduction);
        Assert.True(error.Message.Contains("empty", StringComparison.Ordinal),
            $"{what}: the message does not say the axis is empty: {error.Message}");
    }

    private static double[] Repeat(double value, int count) => Enumerable.Repeat(value, count).ToArray();

    private static string Format(int[] shape) => $"({string.Join(", ", shape)})";
}
