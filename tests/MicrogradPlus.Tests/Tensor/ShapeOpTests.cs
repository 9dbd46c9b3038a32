using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Tensor;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// Transpose, Permute, Squeeze, Unsqueeze, Slice, Cat and Stack: values against host references (also on
/// non-contiguous views and for ops applied to them), memory sharing, gradients (gradcheck and second order) and
/// the errors for bad arguments.
/// </summary>
public class ShapeOpTests
{
    private static float[] Iota(int n) => Enumerable.Range(0, n).Select(i => (float)i).ToArray();

    private static Tensor Iota(int[] shape, Device device) => Tensor.FromArray(Iota(Shape.Size(shape)), shape, device);

    /// <summary>Distinct values in (−1.5, 1.5) computed on the host, so inputs need no device random kernel.</summary>
    private static Tensor Wavy(int[] shape, int seed, Device device) =>
        Tensor.FromArray(
            Enumerable.Range(0, Shape.Size(shape)).Select(i => 1.5f * MathF.Sin(seed + 1.7f * i)).ToArray(), shape,
            device);

    // ---- host references -------------------------------------------------------------------------------------

    private static class Shape
    {
        public static int Size(int[] shape) => shape.Aggregate(1, (a, b) => a * b);

        public static int[] Strides(int[] shape)
        {
            var strides = new int[shape.Length];
            for (int i = shape.Length - 1, s = 1; i >= 0; s *= shape[i], i--)
            {
                strides[i] = s;
            }
            return strides;
        }

        /// <summary>Row-major multi-indices of a shape, in order.</summary>
        public static IEnumerable<int[]> Indices(int[] shape)
        {
            int size = Size(shape);
            for (int flat = 0; flat < size; flat++)
            {
                var index = new int[shape.Length];
                for (int d = shape.Length - 1, rest = flat; d >= 0; d--)
                {
                    index[d] = rest % shape[d];
                    rest /= shape[d];
                }
                yield return index;
            }
        }

        public static int Flat(int[] index, int[] strides) => index.Select((v, d) => v * strides[d]).Sum();
    }

    /// <summary>y[i₀…] = x[j] with j[perm[d]] = i[d].</summary>
    private static float[] HostPermute(float[] x, int[] shape, int[] perm)
    {
        var outShape = perm.Select(p => shape[p]).ToArray();
        var strides = Shape.Strides(shape);
        return Shape.Indices(outShape).Select(i =>
        {
            var j = new int[shape.Length];
            for (int d = 0; d < perm.Length; d++)
            {
                j[perm[d]] = i[d];
            }
            return x[Shape.Flat(j, strides)];
        }).ToArray();
    }

    private static float[] HostSlice(float[] x, int[] shape, int axis, int start, int end)
    {
        var outShape = (int[])shape.Clone();
        outShape[axis] = end - start;
        var strides = Shape.Strides(shape);
        return Shape.Indices(outShape).Select(i =>
        {
            var j = (int[])i.Clone();
            j[axis] += start;
            return x[Shape.Flat(j, strides)];
        }).ToArray();
    }

    /// <summary>Concatenation along an axis: for each outer index, the inner blocks of every part in turn.</summary>
    private static float[] HostCat(float[][] parts, int[][] shapes, int axis)
    {
        int outer = shapes[0][..axis].Aggregate(1, (a, b) => a * b);
        var result = new List<float>();
        for (int o = 0; o < outer; o++)
        {
            for (int p = 0; p < parts.Length; p++)
            {
                int block = shapes[p][axis..].Aggregate(1, (a, b) => a * b);
                result.AddRange(parts[p].Skip(o * block).Take(block));
            }
        }
        return [.. result];
    }

    // ---- forward values ----------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Transpose_and_permute_match_host(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        int[] shape = [2, 3, 4];
        var data = Iota(24);
        var x = Tensor.FromArray(data, shape, scope.Device);

        var t = x.Transpose(0, 2);
        Assert.Equal([4, 3, 2], t.Shape);
        Assert.False(t.IsContiguous);
        Assert.Equal(HostPermute(data, shape, [2, 1, 0]), t.ToArray());
        Assert.Equal(HostPermute(data, shape, [0, 2, 1]), x.Transpose(-1, -2).ToArray());
        Assert.Equal(data, x.Transpose(1, 1).ToArray());

        var p = x.Permute(1, 2, 0);
        Assert.Equal([3, 4, 2], p.Shape);
        Assert.Equal(HostPermute(data, shape, [1, 2, 0]), p.ToArray());
        Assert.Equal(HostPermute(data, shape, [2, 0, 1]), x.Permute(-1, 0, 1).ToArray());
        // Permute of a permute composes: (1,2,0) then (2,0,1) is the identity.
        Assert.Equal(data, p.Permute(2, 0, 1).ToArray());

        var m = Tensor.FromArray(Iota(6), [2, 3], scope.Device);
        Assert.Equal([3, 2], m.T.Shape);
        Assert.Equal(HostPermute(Iota(6), [2, 3], [1, 0]), m.T.ToArray());
        var v = Tensor.FromArray(Iota(3), [3], scope.Device);
        Assert.Equal([3], v.T.Shape);
        Assert.Equal(Iota(3), v.T.ToArray());
        Assert.Empty(Tensor.Scalar(5f, scope.Device).Transpose(0, -1).Shape);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Squeeze_and_unsqueeze_change_only_the_shape(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var data = Iota(6);
        var x = Tensor.FromArray(data, [1, 2, 1, 3, 1], scope.Device);

        Assert.Equal([2, 3], x.Squeeze().Shape);
        Assert.Equal([2, 1, 3, 1], x.Squeeze(0).Shape);
        Assert.Equal([1, 2, 3, 1], x.Squeeze(2).Shape);
        Assert.Equal([1, 2, 1, 3], x.Squeeze(-1).Shape);
        Assert.Equal(data, x.Squeeze().ToArray());
        Assert.Empty(Tensor.FromArray([7f], [1, 1], scope.Device).Squeeze().Shape);
        Assert.Empty(Tensor.Scalar(7f, scope.Device).Squeeze(0).Shape);

        var y = Tensor.FromArray(data, [2, 3], scope.Device);
        Assert.Equal([1, 2, 3], y.Unsqueeze(0).Shape);
        Assert.Equal([2, 1, 3], y.Unsqueeze(1).Shape);
        Assert.Equal([2, 3, 1], y.Unsqueeze(2).Shape);
        Assert.Equal([2, 3, 1], y.Unsqueeze(-1).Shape);
        Assert.Equal([1, 2, 3], y.Unsqueeze(-3).Shape);
        Assert.Equal(data, y.Unsqueeze(1).ToArray());
        Assert.Equal([1], Tensor.Scalar(7f, scope.Device).Unsqueeze(-1).Shape);

        // Unsqueeze of a transposed view keeps its strides: values follow the transpose.
        var ut = y.T.Unsqueeze(1);
        Assert.Equal([3, 1, 2], ut.Shape);
        Assert.Equal(HostPermute(data, [2, 3], [1, 0]), ut.ToArray());
        Assert.Equal(HostPermute(data, [2, 3], [1, 0]), ut.Squeeze(1).ToArray());
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Slice_matches_host_and_clamps_like_python(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        int[] shape = [3, 4, 2];
        var data = Iota(24);
        var x = Tensor.FromArray(data, shape, scope.Device);

        Assert.Equal([3, 2, 2], x.Slice(1, 1, 3).Shape);
        Assert.Equal(HostSlice(data, shape, 1, 1, 3), x.Slice(1, 1, 3).ToArray());
        Assert.Equal(HostSlice(data, shape, 0, 2, 3), x.Slice(0, 2, 3).ToArray());
        Assert.Equal(HostSlice(data, shape, 2, 1, 2), x.Slice(-1, 1, 2).ToArray());
        // Negative bounds count from the end; bounds past the ends are clamped (x[:, -3:-1], x[:, 2:100]).
        Assert.Equal(HostSlice(data, shape, 1, 1, 3), x.Slice(1, -3, -1).ToArray());
        Assert.Equal(HostSlice(data, shape, 1, 2, 4), x.Slice(1, 2, 100).ToArray());
        Assert.Equal(HostSlice(data, shape, 1, 0, 4), x.Slice(1, -100, int.MaxValue).ToArray());
        // end ≤ start: empty.
        Assert.Equal([3, 0, 2], x.Slice(1, 3, 1).Shape);
        Assert.Empty(x.Slice(1, 3, 1).ToArray());
        // Slice of a slice.
        Assert.Equal(HostSlice(HostSlice(data, shape, 1, 1, 4), [3, 3, 2], 0, 1, 3),
            x.Slice(1, 1, 4).Slice(0, 1, 3).ToArray());
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Cat_and_stack_match_host(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        float[] a = Iota(6), b = Iota(4).Select(v => v + 100f).ToArray(), c = Iota(2).Select(v => -v - 1f).ToArray();
        var ta = Tensor.FromArray(a, [2, 3], scope.Device);
        var tb = Tensor.FromArray(b, [2, 2], scope.Device);
        var tc = Tensor.FromArray(c, [2, 1], scope.Device);

        var cat1 = Tensor.Cat([ta, tb, tc], 1);
        Assert.Equal([2, 6], cat1.Shape);
        Assert.Equal(HostCat([a, b, c], [[2, 3], [2, 2], [2, 1]], 1), cat1.ToArray());
        Assert.Equal(cat1.ToArray(), Tensor.Cat([ta, tb, tc], -1).ToArray());

        var ta2 = Tensor.FromArray(a, [3, 2], scope.Device);
        var cat0 = Tensor.Cat([ta2, tb]);
        Assert.Equal([5, 2], cat0.Shape);
        Assert.Equal(HostCat([a, b], [[3, 2], [2, 2]], 0), cat0.ToArray());
        Assert.Equal(a, Tensor.Cat([ta]).ToArray());
        // The same tensor twice, and a non-contiguous input (a transposed view).
        Assert.Equal(HostCat([a, a], [[2, 3], [2, 3]], 0), Tensor.Cat([ta, ta]).ToArray());
        var tat = ta.T;
        var at = HostPermute(a, [2, 3], [1, 0]);
        Assert.Equal(HostCat([at, a], [[3, 2], [3, 2]], 1), Tensor.Cat([tat, ta2], 1).ToArray());

        var s0 = Tensor.Stack([ta, ta * 2f]);
        Assert.Equal([2, 2, 3], s0.Shape);
        Assert.Equal(a.Concat(a.Select(v => v * 2f)), s0.ToArray());
        var s2 = Tensor.Stack([ta, ta * 2f], -1);
        Assert.Equal([2, 3, 2], s2.Shape);
        Assert.Equal(a.SelectMany(v => new[] { v, v * 2f }), s2.ToArray());
        var s1 = Tensor.Stack([ta, ta * 2f, ta * 3f], 1);
        Assert.Equal([2, 3, 3], s1.Shape);
        Assert.Equal(HostCat([a, a.Select(v => v * 2f).ToArray(), a.Select(v => v * 3f).ToArray()],
            [[2, 1, 3], [2, 1, 3], [2, 1, 3]], 1), s1.ToArray());
        var scalars = Tensor.Stack([Tensor.Scalar(1f, scope.Device), Tensor.Scalar(2f, scope.Device)]);
        Assert.Equal([2], scalars.Shape);
        Assert.Equal([1f, 2f], scalars.ToArray());
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Ops_on_non_contiguous_views_match_host(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        int[] shape = [3, 4];
        var data = Iota(12).Select(v => v - 5f).ToArray();
        var x = Tensor.FromArray(data, shape, scope.Device);
        var xt = HostPermute(data, shape, [1, 0]); // (4, 3)

        // Transpose → Slice → Reshape: the reshape has to copy.
        var chain = x.Transpose(0, 1).Slice(0, 1, 3).Reshape(-1);
        Assert.Equal([6], chain.Shape);
        Assert.Equal(HostSlice(xt, [4, 3], 0, 1, 3), chain.ToArray());

        // (xᵀ · 2).Sum(0): an element-wise op, then a reduction, on a transposed view.
        var summed = (x.Transpose(0, 1) * 2f).Sum(0);
        var expected = Enumerable.Range(0, 3).Select(j => Enumerable.Range(0, 4).Sum(i => 2f * xt[i * 3 + j]));
        Assert.Equal(expected, summed.ToArray());

        // A sliced, offset view in a broadcast binary op: x[:, 1:3] + x[1:2, 0:2].
        var left = x.Slice(1, 1, 3);
        var right = x.Slice(0, 1, 2).Slice(1, 0, 2);
        var l = HostSlice(data, shape, 1, 1, 3);
        var r = HostSlice(HostSlice(data, shape, 0, 1, 2), [1, 4], 1, 0, 2);
        Assert.Equal(l.Select((v, i) => v + r[i % 2]), (left + right).ToArray());

        // Permute → Slice → element-wise ops (−v·v), and Cat/Stack of views.
        var cube = Tensor.FromArray(Iota(24).Select(v => v / 10f).ToArray(), [2, 3, 4], scope.Device);
        var pv = cube.Permute(2, 0, 1).Slice(0, 1, 3);
        var pHost = HostSlice(HostPermute(Iota(24).Select(v => v / 10f).ToArray(), [2, 3, 4], [2, 0, 1]),
            [4, 2, 3], 0, 1, 3);
        Assert.Equal(pHost.Select(v => -v * v), (-pv * pv).ToArray());
        Assert.Equal(HostCat([pHost, pHost], [[2, 2, 3], [2, 2, 3]], 2), Tensor.Cat([pv, pv], 2).ToArray());
        // Stack of an offset slice and a stride-0 (expanded) view.
        Assert.Equal(l.Concat(r).Concat(r).Concat(r), Tensor.Stack([left, right.Expand(3, 2)]).ToArray());
    }

    // ---- memory ------------------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Views_share_memory_and_cat_copies(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var pool = scope.Device.Pool;
        var data = Iota(24);
        var x = Tensor.FromArray(data, [2, 3, 4], scope.Device, requiresGrad: true);
        Pools.DrainFinalized(pool);
        long live = pool.LiveBuffers;
        using (Tensor.Scope())
        {
            // The same views as PyTorch's: no buffer is rented for any of them (with the graph recorded, too).
            Tensor[] views =
            [
                x.Transpose(0, 2), x.Permute(2, 0, 1), x.Unsqueeze(1), x.Unsqueeze(3).Squeeze(), x.Squeeze(1),
                x.Slice(1, 1, 3), x.Slice(2, 1, 3).Transpose(0, 1).Unsqueeze(0).Squeeze(0),
                x.Slice(0, 1, 2).Squeeze(0).T,
            ];
            Assert.Equal(live, pool.LiveBuffers);
            Assert.All(views, v => Assert.True(v.RequiresGrad));

            // Each view holds the buffer: it outlives the tensor it was taken from.
            x.Dispose();
            Assert.Equal(live, pool.LiveBuffers);
            Assert.Equal(HostSlice(data, [2, 3, 4], 1, 1, 3), views[5].ToArray());
            Assert.Equal(HostPermute(data, [2, 3, 4], [2, 0, 1]), views[1].ToArray());
            Assert.Equal(live, pool.LiveBuffers);
        }
        // The last view gone, the buffer goes back.
        Assert.Equal(live - 1, pool.LiveBuffers);

        // Cat and Stack write one new contiguous tensor (Stack's unsqueezed views are given back at once).
        var a = Tensor.FromArray(Iota(6), [2, 3], scope.Device);
        Pools.DrainFinalized(pool);
        long before = pool.LiveBuffers;
        var cat = Tensor.Cat([a, a], 1);
        Assert.Equal(before + 1, pool.LiveBuffers);
        Assert.True(cat.IsContiguous);
        var stacked = Tensor.Stack([a, a], 1);
        Assert.Equal(before + 2, pool.LiveBuffers);
        Assert.True(stacked.IsContiguous);
        a.Dispose();
        Assert.Equal(before + 1, pool.LiveBuffers);
        Assert.Equal(HostCat([Iota(6), Iota(6)], [[2, 3], [2, 3]], 1), cat.ToArray());
    }

    // ---- gradients ---------------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void GradCheck_passes_for_view_ops(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var x = Wavy([2, 3, 2], 11, scope.Device);
        var m = Wavy([3, 4], 12, scope.Device);
        var u = Wavy([1, 3, 1], 13, scope.Device);

        Assert.True(Autograd.GradCheck(v => v[0].Transpose(0, 2) * v[0].Transpose(-1, -3), [x]));
        Assert.True(Autograd.GradCheck(v => v[0].Permute(2, 0, 1) * v[0].Permute(-1, 0, 1), [x]));
        Assert.True(Autograd.GradCheck(v => v[0].T.Slice(1, 0, 2) * v[1], [m, x.Reshape(4, 3).Slice(1, 1, 3)]));
        Assert.True(Autograd.GradCheck(v => v[0].Squeeze().Unsqueeze(0) * v[0].Squeeze(2).Unsqueeze(-1).Squeeze(0),
            [u]));
        Assert.True(Autograd.GradCheck(
            v => v[0].Slice(1, 1, 3) * v[0].Slice(1, -2, 100) + v[0].Slice(0, 2, 3).Slice(1, 0, 2), [m]));
        // Non-contiguous chains: Transpose → Slice → Reshape, and a reduction of a scaled transposed view.
        Assert.True(Autograd.GradCheck(v => v[0].Transpose(0, 1).Slice(0, 1, 3).Reshape(-1) * v[1],
            [m, Wavy([6], 14, scope.Device)]));
        Assert.True(Autograd.GradCheck(v => (v[0].Transpose(0, 1) * 2f).Sum(0) * v[0].Slice(0, 0, 1).Squeeze()
            .Slice(0, 1, 4), [m]));
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void GradCheck_passes_for_cat_and_stack(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var a = Wavy([2, 3], 21, scope.Device);
        var b = Wavy([2, 1], 22, scope.Device);
        var c = Wavy([3, 2], 23, scope.Device);

        // a twice: each position's gradient is summed.
        Assert.True(Autograd.GradCheck(v =>
        {
            var y = Tensor.Cat([v[0], v[1], v[0]], 1);
            return y * y;
        }, [a, b]));
        Assert.True(Autograd.GradCheck(v => Tensor.Cat([v[0], v[1].T], 0) * Tensor.Cat([v[1].T, v[0]], -2), [a, c]));
        Assert.True(Autograd.GradCheck(v => Tensor.Stack([v[0], v[1].T, v[0] * v[0]], 1), [a, c]));
        Assert.True(Autograd.GradCheck(v => Tensor.Stack([v[0], v[1].T], -1) * Tensor.Stack([v[1].T, v[0]]).Sum(0)
            .Unsqueeze(-1), [a, c]));
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Gradient_skips_inputs_that_do_not_require_it(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var a = Tensor.FromArray([1f, 2f], [2], scope.Device, requiresGrad: true);
        var b = Tensor.FromArray([3f, 4f, 5f], [3], scope.Device);
        var y = Tensor.Cat([b, a, b]);
        (y * Tensor.FromArray(Iota(8), [8], scope.Device)).Sum().Backward();
        Assert.Equal([3f, 4f], a.Grad!.ToArray());
        Assert.Null(b.Grad);
        Assert.False(Tensor.Stack([b, b]).RequiresGrad);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Second_order_gradients_flow_through_slice(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        float[] values = [0.5f, -1f, 2f, 1.5f, -0.5f];
        var x = Tensor.FromArray(values, [5], scope.Device, requiresGrad: true);
        var s = x.Slice(0, 1, 4);
        var y = (s * s * s).Sum();

        var dx = Autograd.Grad(y, [x], createGraph: true)[0];
        float[] Inside(int i, float v) => i is >= 1 and < 4 ? [v] : [0f];
        Assert.Equal(values.SelectMany((v, i) => Inside(i, 3f * v * v)), dx.ToArray());
        Assert.True(dx.RequiresGrad);

        // d/dx Σ (dy/dx)·w with w = 1..5: 6·x·w inside the slice, 0 outside.
        var w = Tensor.FromArray([1f, 2f, 3f, 4f, 5f], [5], scope.Device);
        var d2 = Autograd.Grad((dx * w).Sum(), [x], createGraph: true)[0];
        Assert.Equal(values.SelectMany((v, i) => Inside(i, 6f * v * (i + 1))), d2.ToArray());

        // Third order: d/dx Σ d2 = 6·w inside.
        var d3 = Autograd.Grad(d2.Sum(), [x])[0];
        Assert.Equal([0f, 12f, 18f, 24f, 0f], d3.ToArray());

        // A 2-D slice along the last axis of a transposed view, through Backward(createGraph).
        var m = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], [2, 3], scope.Device, requiresGrad: true);
        var ms = m.T.Slice(1, 1, 2); // column 1 of mᵀ = row 1 of m: (3, 1)
        (ms * ms * ms).Sum().Backward(createGraph: true);
        Assert.Equal([0f, 0f, 0f, 48f, 75f, 108f], m.Grad!.ToArray());
        var g = m.Grad!;
        var dm = Autograd.Grad(g.Sum(), [m])[0];
        Assert.Equal([0f, 0f, 0f, 24f, 30f, 36f], dm.ToArray());
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Second_order_gradients_flow_through_cat_and_stack(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var a = Tensor.FromArray([1f, -2f, 3f, 0.5f], [2, 2], scope.Device, requiresGrad: true);
        var b = Tensor.FromArray([2f, -1f], [2, 1], scope.Device, requiresGrad: true);
        var y = Tensor.Cat([a.T, b], 1);
        var l = (y * y * y).Sum();

        var grads = Autograd.Grad(l, [a, b], createGraph: true);
        Assert.Equal([3f, 12f, 27f, 0.75f], grads[0].ToArray());
        Assert.Equal([12f, 3f], grads[1].ToArray());
        (grads[0].Sum() + grads[1].Sum()).Backward();
        Assert.Equal([6f, -12f, 18f, 3f], a.Grad!.ToArray());
        Assert.Equal([12f, -6f], b.Grad!.ToArray());

        var c = Tensor.FromArray([1f, 2f], [2], scope.Device, requiresGrad: true);
        var st = Tensor.Stack([c, c * c], 1); // [[c0, c0²], [c1, c1²]]
        var dc = Autograd.Grad((st * st).Sum(), [c], createGraph: true)[0]; // 2c + 4c³
        Assert.Equal([6f, 36f], dc.ToArray());
        var dc2 = Autograd.Grad(dc.Sum(), [c])[0]; // 2 + 12c²
        Assert.Equal([14f, 50f], dc2.ToArray());
    }

    // ---- errors ------------------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Bad_axes_and_permutations_are_rejected(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var x = Tensor.FromArray(Iota(6), [2, 3], scope.Device);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => x.Transpose(0, 2));
        Assert.Contains("axis 2", e.Message, StringComparison.Ordinal);
        Assert.Contains("rank 2", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Transpose(-3, 0));
        var t = Assert.Throws<InvalidOperationException>(() => Iota([2, 1, 3], scope.Device).T);
        Assert.Contains("rank 3", t.Message, StringComparison.Ordinal);

        var p = Assert.Throws<ArgumentException>(() => x.Permute(0));
        Assert.Contains("rank 2", p.Message, StringComparison.Ordinal);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => x.Permute(1, 1)).Message,
            StringComparison.Ordinal);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => x.Permute(1, -1)).Message,
            StringComparison.Ordinal);
        Assert.Contains("axis 2", Assert.Throws<ArgumentOutOfRangeException>(() => x.Permute(0, 2)).Message,
            StringComparison.Ordinal);

        // Squeezing a dimension that is not 1 leaves the shape (PyTorch), but the axis must exist.
        Assert.Equal([2, 3], x.Squeeze(1).Shape);
        Assert.Equal([2, 3], x.Squeeze(-2).Shape);
        Assert.Equal(Iota(6), x.Squeeze(0).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Squeeze(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Squeeze(-3));

        var u = Assert.Throws<ArgumentOutOfRangeException>(() => x.Unsqueeze(3));
        Assert.Contains("axis 3", u.Message, StringComparison.Ordinal);
        Assert.Contains("rank 2", u.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Unsqueeze(-4));

        var s = Assert.Throws<ArgumentOutOfRangeException>(() => x.Slice(2, 0, 1));
        Assert.Contains("axis 2", s.Message, StringComparison.Ordinal);
        Assert.Contains("rank 2", s.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Scalar(1f, scope.Device).Slice(0, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Cat([x, x], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Stack([x, x], 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Stack([x, x], -4));
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Cat_and_stack_name_mismatched_shapes_devices_and_dtypes(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var a = Iota([2, 3], scope.Device);
        var b = Iota([3, 3], scope.Device);
        var c = Iota([3], scope.Device);

        var cat = Assert.Throws<ArgumentException>(() => Tensor.Cat([a, b], 1));
        Assert.Contains("(2, 3)", cat.Message, StringComparison.Ordinal);
        Assert.Contains("(3, 3)", cat.Message, StringComparison.Ordinal);
        Assert.Equal([5, 3], Tensor.Cat([a, b]).Shape);
        var rank = Assert.Throws<ArgumentException>(() => Tensor.Cat([a, c]));
        Assert.Contains("(2, 3)", rank.Message, StringComparison.Ordinal);
        Assert.Contains("(3,)", rank.Message, StringComparison.Ordinal);
        var stack = Assert.Throws<ArgumentException>(() => Tensor.Stack([a, a, b]));
        Assert.Contains("(2, 3)", stack.Message, StringComparison.Ordinal);
        Assert.Contains("(3, 3)", stack.Message, StringComparison.Ordinal);

        Assert.Throws<ArgumentException>(() => Tensor.Cat([]));
        Assert.Throws<ArgumentException>(() => Tensor.Stack([]));
        Assert.Throws<ArgumentNullException>(() => Tensor.Cat([a, null!]));
        Assert.Throws<ArgumentException>(() => Tensor.Cat([Tensor.Scalar(1f, scope.Device)]));

        var wide = a.To(DType.Float64);
        foreach (var dtype in new[] { Assert.Throws<ArgumentException>(() => Tensor.Cat([a, wide])),
                     Assert.Throws<ArgumentException>(() => Tensor.Stack([a, wide])) })
        {
            Assert.Contains("Float32", dtype.Message, StringComparison.Ordinal);
            Assert.Contains("Float64", dtype.Message, StringComparison.Ordinal);
        }
        Assert.Equal(DType.Float64, Tensor.Cat([wide, wide]).DType);

        if (!ReferenceEquals(scope.Device, Device.Cpu))
        {
            var onCpu = a.To(Device.Cpu);
            var device = Assert.Throws<ArgumentException>(() => Tensor.Cat([a, onCpu]));
            Assert.Contains(scope.Device.ToString(), device.Message, StringComparison.Ordinal);
            Assert.Contains(Device.Cpu.ToString(), device.Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentException>(() => Tensor.Stack([onCpu, a]));
        }
    }
}
