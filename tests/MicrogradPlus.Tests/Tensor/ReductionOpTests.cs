using MicrogradPlus.Backends;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Tensor;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// Mean, Max, Min, LogSumExp (Sum beside them as the reference reduction), Softmax, LogSoftmax, the comparisons,
/// Maximum/Minimum and ArgMax/ArgMin against float64 host references, on every device; gradients by GradCheck.
/// </summary>
public class ReductionOpTests
{
    private static readonly int[] Shape = [2, 3, 4];

    // Each case: axes (empty: all), as a user would pass them, negative ones included.
    private static readonly int[][] AxisCases =
        [[], [0], [1], [2], [-1], [-3], [0, 2], [-1, 0], [1, 2], [0, 1, 2]];

    private static readonly (string Name, Func<Tensor, int[], bool, Tensor> Op, Func<double[], double> Host)[]
        Reductions =
        [
            ("sum", (x, a, k) => x.Sum(a, k), v => v.Sum()),
            ("mean", (x, a, k) => x.Mean(a, k), v => v.Sum() / v.Length),
            ("max", (x, a, k) => x.Max(a, k), v => v.Max()),
            ("min", (x, a, k) => x.Min(a, k), v => v.Min()),
            ("logsumexp", (x, a, k) => x.LogSumExp(a, k), HostLogSumExp),
        ];

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Reductions_match_host_over_every_axis_set(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var x = Tensor.Randn(Shape, seed: 11, device: scope.Device);
        var host = ToDouble(x.ToArray());
        foreach (var (name, op, reference) in Reductions)
        {
            foreach (var axes in AxisCases)
            {
                foreach (bool keepDim in new[] { false, true })
                {
                    var (expected, expectedShape) = HostReduce(host, Shape, axes, keepDim, reference);
                    var y = op(x, axes, keepDim);
                    string what = $"{name}([{string.Join(", ", axes)}], keepDim: {keepDim})";
                    Assert.True(expectedShape.SequenceEqual(y.Shape), $"{what}: shape ({string.Join(", ", y.Shape)})");
                    AssertClose(expected, y.ToArray(), Rtol(scope.Device), 1e-5, what);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Single_axis_and_whole_tensor_overloads_agree_with_the_array_form(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var x = Tensor.Randn(Shape, seed: 12, device: scope.Device);
        var host = ToDouble(x.ToArray());
        double rtol = Rtol(scope.Device);
        AssertClose([host.Sum() / host.Length], x.Mean().ToArray(), rtol, 1e-6, "Mean()");
        AssertClose([host.Max()], x.Max().ToArray(), 0, 0, "Max()");
        AssertClose([host.Min()], x.Min().ToArray(), 0, 0, "Min()");
        AssertClose([HostLogSumExp(host)], x.LogSumExp().ToArray(), rtol, 1e-6, "LogSumExp()");
        Assert.Empty(x.Max().Shape);
        foreach (int axis in new[] { 0, 1, 2, -1, -2, -3 })
        {
            foreach (bool keepDim in new[] { false, true })
            {
                Assert.Equal(x.Mean([axis], keepDim).ToArray(), x.Mean(axis, keepDim).ToArray());
                Assert.Equal(x.Max([axis], keepDim).ToArray(), x.Max(axis, keepDim).ToArray());
                Assert.Equal(x.Min([axis], keepDim).ToArray(), x.Min(axis, keepDim).ToArray());
                Assert.Equal(x.LogSumExp([axis], keepDim).ToArray(), x.LogSumExp(axis, keepDim).ToArray());
                Assert.Equal(x.Max([axis], keepDim).Shape, x.Max(axis, keepDim).Shape);
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Max(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Mean(-4));
        Assert.Throws<ArgumentException>(() => x.Min([1, -2]));
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Max_and_min_split_the_gradient_evenly_between_ties(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var x = Tensor.FromArray([1f, 3f, 3f, 2f], [4], scope.Device, requiresGrad: true);
        x.Max().Backward(Tensor.Scalar(4f, scope.Device));
        Assert.Equal([0f, 2f, 2f, 0f], x.Grad!.ToArray());

        var y = Tensor.FromArray([2f, 1f, 1f, 1f], [4], scope.Device, requiresGrad: true);
        (y.Min() * 6f).Backward();
        Assert.Equal([0f, 2f, 2f, 2f], y.Grad!.ToArray());

        // Along an axis, each row splits its own gradient: row 0 has a two-way tie, row 1 a three-way one.
        var m = Tensor.FromArray([1f, 3f, 3f, 5f, 5f, 5f], [2, 3], scope.Device, requiresGrad: true);
        m.Max(1, keepDim: true).Backward(Tensor.FromArray([1f, 3f], [2, 1], scope.Device));
        Assert.Equal([0f, 0.5f, 0.5f, 1f, 1f, 1f], m.Grad!.ToArray());

        // Column minima: a tie in column 0, row 0 wins column 1, row 1 column 2.
        var n = Tensor.FromArray([1f, 3f, 3f, 1f, 5f, 0f], [2, 3], scope.Device, requiresGrad: true);
        n.Min(0).Backward(Tensor.FromArray([1f, 2f, 4f], [3], scope.Device));
        Assert.Equal([0.5f, 2f, 0f, 0.5f, 0f, 4f], n.Grad!.ToArray());
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Empty_reductions_throw_or_follow_pytorch(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var empty = Tensor.Zeros([0, 3], scope.Device);
        var error = Assert.Throws<ArgumentException>(() => empty.Max());
        Assert.Contains("empty", error.Message, StringComparison.Ordinal);
        Assert.Contains("(0, 3)", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => empty.Min(0));
        Assert.Throws<ArgumentException>(() => empty.ArgMax(0));
        // Reducing the non-empty axis of an empty tensor is fine: nothing to reduce into.
        Assert.Equal([0], empty.Max(1).Shape);
        Assert.Equal([0, 1], empty.Min(-1, keepDim: true).Shape);
        Assert.Empty(empty.ArgMinIndices(1));
        Assert.True(float.IsNaN(empty.Mean().Item()));
        Assert.Equal(float.NegativeInfinity, empty.LogSumExp().Item());
        Assert.Equal([0f, 0f, 0f], empty.Sum(0).ToArray());
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void LogSumExp_is_stable_for_large_and_infinite_inputs(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        float inf = float.PositiveInfinity;
        var x = Tensor.FromArray([1000f, 1000f, -1000f, -1000f, -inf, -inf, inf, 1f, -inf, 2f], [5, 2], scope.Device);
        var y = x.LogSumExp(1).ToArray();
        Assert.Equal(1000 + Math.Log(2), y[0], 1e-3);
        Assert.Equal(-1000 + Math.Log(2), y[1], 1e-3);
        Assert.Equal(float.NegativeInfinity, y[2]);
        Assert.Equal(inf, y[3]);
        Assert.Equal(2f, y[4], 1e-5f);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Softmax_and_log_softmax_match_host_along_every_axis(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var x = Tensor.Randn(Shape, seed: 13, device: scope.Device);
        // Shifted by 1000 (exp overflows without the max trick) and spread by 1000 (most exponents underflow).
        foreach (var input in new[] { x, x + 1000f, x * 1000f })
        {
            var host = ToDouble(input.ToArray());
            foreach (int axis in new[] { 0, 1, 2, -1, -2, -3 })
            {
                var (lse, _) = HostReduce(host, Shape, [axis], keepDim: true, HostLogSumExp);
                int[] group = GroupOf(Shape, [axis]);
                var expectedLog = host.Select((v, i) => v - lse[group[i]]).ToArray();
                var expected = expectedLog.Select(Math.Exp).ToArray();
                var softmax = input.Softmax(axis);
                var logSoftmax = input.LogSoftmax(axis);
                Assert.Equal(Shape, softmax.Shape);
                Assert.Equal(Shape, logSoftmax.Shape);
                var s = softmax.ToArray();
                var l = logSoftmax.ToArray();
                Assert.All(s, v => Assert.True(float.IsFinite(v)));
                Assert.All(l, v => Assert.True(float.IsFinite(v)));
                AssertClose(expected, s, Rtol(scope.Device), 1e-6, $"softmax({axis})");
                // log_softmax values reach −2000 here: float32 keeps ~1e-7 of that relative, and the shift rounds.
                AssertClose(expectedLog, l, Rtol(scope.Device), 1e-5, $"log_softmax({axis})");
                var rowSums = softmax.Sum(axis).ToArray();
                Assert.All(rowSums, v => Assert.Equal(1f, v, 1e-5f));
            }
        }
        Assert.Equal(1f, Tensor.Scalar(3f, scope.Device).Softmax(0).Item());
        Assert.Equal(0f, Tensor.Scalar(3f, scope.Device).LogSoftmax(-1).Item());
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => x.Softmax(3));
        Assert.Contains("rank 3", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => x.LogSoftmax(-4));
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Gradients_pass_gradcheck(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var x = Tensor.Randn([2, 3, 2], seed: 14, device: scope.Device);
        Assert.True(Autograd.GradCheck(t => t[0].Mean([0, 2]), [x]));
        Assert.True(Autograd.GradCheck(t => t[0].Mean(-1, keepDim: true), [x]));
        Assert.True(Autograd.GradCheck(t => t[0].Mean(), [x]));
        Assert.True(Autograd.GradCheck(t => t[0].Max(1, keepDim: true), [x]));
        Assert.True(Autograd.GradCheck(t => t[0].Max([0, -1]), [x]));
        Assert.True(Autograd.GradCheck(t => t[0].Min(-1), [x]));
        Assert.True(Autograd.GradCheck(t => t[0].Min(), [x]));
        Assert.True(Autograd.GradCheck(t => t[0].LogSumExp([0, 1]), [x]));
        Assert.True(Autograd.GradCheck(t => t[0].LogSumExp(2, keepDim: true), [x]));
        Assert.True(Autograd.GradCheck(t => t[0].LogSumExp(), [x]));
        foreach (int axis in new[] { 0, 1, -1 })
        {
            Assert.True(Autograd.GradCheck(t => t[0].Softmax(axis), [x]));
            Assert.True(Autograd.GradCheck(t => t[0].LogSoftmax(axis), [x]));
        }
    }

    /// <summary>
    /// Softmax and log-softmax are fused: one launch forward and one backward (rows of 70 along the last axis, a group
    /// per row on GPUs; columns of 4 along the first). The fused backward equals the differentiable formula used when
    /// a graph of the backward is built, and second derivatives equal those of softmax composed of plain ops.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Softmax_is_one_launch_each_way_and_matches_the_composed_formula_to_second_order(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var device = scope.Device;
        var x = Tensor.Randn([4, 70], seed: 21, device: device, dtype: DType.Float64, requiresGrad: true);
        var g = Tensor.Randn([4, 70], seed: 22, device: device, dtype: DType.Float64);
        // The two ways round exp and log differently: a few ulp of each (ILGPU's software double math on CUDA: 1e-10).
        var tolerance = Tolerance.F64(device, transcendental: true).Times(10);
        foreach (bool log in new[] { false, true })
        {
            foreach (int axis in new[] { 1, 0 })
            {
                string what = $"{(log ? "log_softmax" : "softmax")}({axis}) on {device}";
                Tensor Fused(Tensor v) => log ? v.LogSoftmax(axis) : v.Softmax(axis);
                Tensor Composed(Tensor v)
                {
                    var shifted = v - v.Max(axis, keepDim: true);
                    var logSum = shifted.Exp().Sum(axis, keepDim: true).Log();
                    return log ? shifted - logSum : (shifted - logSum).Exp();
                }
                long launches = device.Launches;
                var y = Fused(x);
                Assert.Equal(1, device.Launches - launches);
                AssertClose(Composed(x).ToDoubleArray(), y.ToDoubleArray(), tolerance.Relative, tolerance.Absolute,
                    what + ": value");
                launches = device.Launches;
                var fusedGrad = Autograd.Grad(y, [x], g)[0];
                Assert.Equal(1, device.Launches - launches);
                var differentiable = Autograd.Grad(Fused(x), [x], g, createGraph: true)[0];
                AssertClose(differentiable.ToDoubleArray(), fusedGrad.ToDoubleArray(), tolerance.Relative,
                    tolerance.Absolute, what + ": ∂L/∂x");
                double[] SecondOrder(Func<Tensor, Tensor> f)
                {
                    var first = Autograd.Grad(f(x), [x], g, createGraph: true)[0];
                    return Autograd.Grad((first * first).Sum(), [x])[0].ToDoubleArray();
                }
                AssertClose(SecondOrder(Composed), SecondOrder(Fused), tolerance.Relative * 100,
                    tolerance.Absolute * 100, what + ": second order");
            }
        }
    }

    /// <summary>
    /// Long rows: one of 20,000 (on GPUs, fewer rows than multiprocessors and longer than the fused kernel takes: plain
    /// ops, whose reductions spread the row over the device) and three of 17,000 (a thread group per row), forward
    /// and backward against float64.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Softmax_of_long_rows_matches_the_float64_reference(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        foreach (int[] shape in new[] { new[] { 1, 20000 }, [3, 17000] })
        {
            var x = Tensor.Randn(shape, seed: 31, device: scope.Device, requiresGrad: true);
            var g = Tensor.Randn(shape, seed: 32, device: scope.Device);
            var xs = ToDouble(x.ToArray());
            var gs = ToDouble(g.ToArray());
            int n = shape[1];
            foreach (bool log in new[] { false, true })
            {
                string what = $"{(log ? "log_softmax" : "softmax")} of {Shapes.Format(shape)} on {scope.Device}";
                long launches = scope.Device.Launches;
                var y = log ? x.LogSoftmax(-1) : x.Softmax(-1);
                bool composed = scope.Device.Kind != DeviceKind.Cpu && shape[0] < scope.Device.Multiprocessors;
                Assert.True(composed == scope.Device.Launches - launches > 1,
                    $"{what}: {scope.Device.Launches - launches} launches, composed {composed}");
                var dx = Autograd.Grad(y, [x], g)[0];
                var expected = new double[xs.Length];
                var expectedGrad = new double[xs.Length];
                for (int r = 0; r < shape[0]; r++)
                {
                    var row = xs.Skip(r * n).Take(n).ToArray();
                    double max = row.Max(), logSum = Math.Log(row.Sum(v => Math.Exp(v - max)));
                    double dot = 0;
                    for (int j = 0; j < n; j++)
                    {
                        double p = Math.Exp(row[j] - max - logSum);
                        expected[r * n + j] = log ? row[j] - max - logSum : p;
                        dot += log ? gs[r * n + j] : gs[r * n + j] * p;
                    }
                    for (int j = 0; j < n; j++)
                    {
                        double p = Math.Exp(row[j] - max - logSum), gj = gs[r * n + j];
                        expectedGrad[r * n + j] = log ? gj - p * dot : p * (gj - dot);
                    }
                }
                // Sums of 20,000 terms in float32: about 1e-4 relative at worst; the gradient's g − Σ cancels.
                AssertClose(expected, y.ToArray(), 2e-4, 1e-7, what);
                AssertClose(expectedGrad, dx.ToArray(), 2e-4, 2e-5, what + ", gradient");
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void LogSumExp_second_derivative_matches_the_softmax_hessian(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        double[] data = [0.3, -1.2, 2.0, 0.7, 0.1, -0.4];
        double[] direction = [1.0, -0.5, 0.25, 2.0, -1.0, 0.5];
        var x = Tensor.FromArray(data, [2, 3], scope.Device, requiresGrad: true);
        var v = Tensor.FromArray(direction, [2, 3], scope.Device);
        // ∇ Σ lse(rows) = softmax(rows); its derivative along v is p ⊙ v − p·(p·v) per row.
        var gradient = Autograd.Grad(x.LogSumExp(1).Sum(), [x], createGraph: true)[0];
        (gradient * v).Sum().Backward();
        var expected = new double[6];
        for (int row = 0; row < 2; row++)
        {
            var p = data.Skip(row * 3).Take(3).Select(Math.Exp).ToArray();
            double total = p.Sum();
            p = p.Select(e => e / total).ToArray();
            double pv = p.Select((pi, j) => pi * direction[row * 3 + j]).Sum();
            for (int j = 0; j < 3; j++)
            {
                expected[row * 3 + j] = p[j] * direction[row * 3 + j] - p[j] * pv;
            }
        }
        var actual = x.Grad!.ToDoubleArray();
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-9);
        }
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Comparisons_broadcast_and_never_require_grad(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        float[] aData = [1f, 2f, 3f, 3f, 2f, 1f];
        float[] bData = [2f, 2f, 1f];
        var a = Tensor.FromArray(aData, [2, 3], scope.Device, requiresGrad: true);
        var b = Tensor.FromArray(bData, [3], scope.Device, requiresGrad: true);
        var cases = new (string Name, Func<Tensor, Tensor, Tensor> Op, Func<Tensor, float, Tensor> Scalar,
            Func<float, float, bool> Host)[]
        {
            ("eq", (p, q) => p.Eq(q), (p, s) => p.Eq(s), (p, q) => p == q),
            ("ne", (p, q) => p.Ne(q), (p, s) => p.Ne(s), (p, q) => p != q),
            ("gt", (p, q) => p.Gt(q), (p, s) => p.Gt(s), (p, q) => p > q),
            ("ge", (p, q) => p.Ge(q), (p, s) => p.Ge(s), (p, q) => p >= q),
            ("lt", (p, q) => p.Lt(q), (p, s) => p.Lt(s), (p, q) => p < q),
            ("le", (p, q) => p.Le(q), (p, s) => p.Le(s), (p, q) => p <= q),
        };
        foreach (var (name, op, scalar, host) in cases)
        {
            var c = op(a, b);
            Assert.Equal([2, 3], c.Shape);
            Assert.False(c.RequiresGrad, name);
            Assert.Null(c.GradFnName);
            Assert.Equal(aData.Select((v, i) => host(v, bData[i % 3]) ? 1f : 0f), c.ToArray());
            // The broadcast runs both ways: (3,) against (2, 3).
            Assert.Equal(aData.Select((v, i) => host(bData[i % 3], v) ? 1f : 0f), op(b, a).ToArray());
            var s = scalar(a, 2f);
            Assert.False(s.RequiresGrad, name);
            Assert.Equal(aData.Select(v => host(v, 2f) ? 1f : 0f), s.ToArray());
        }
        Assert.Throws<ArgumentException>(() => a.Eq(Tensor.Zeros([2], scope.Device)));
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Maximum_and_minimum_broadcast_and_split_ties(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var a = Tensor.FromArray([1f, 2f, 3f], [3], scope.Device, requiresGrad: true);
        var b = Tensor.FromArray([3f, 2f, 1f], [3], scope.Device, requiresGrad: true);
        var max = a.Maximum(b);
        Assert.Equal([3f, 2f, 3f], max.ToArray());
        max.Backward(Tensor.FromArray([2f, 2f, 2f], [3], scope.Device));
        Assert.Equal([0f, 1f, 2f], a.Grad!.ToArray());
        Assert.Equal([2f, 1f, 0f], b.Grad!.ToArray());
        a.ZeroGrad();
        b.ZeroGrad();
        var min = a.Minimum(b);
        Assert.Equal([1f, 2f, 1f], min.ToArray());
        min.Sum().Backward();
        Assert.Equal([1f, 0.5f, 0f], a.Grad!.ToArray());
        Assert.Equal([0f, 0.5f, 1f], b.Grad!.ToArray());

        var c = Tensor.Randn([3, 1], seed: 15, device: scope.Device);
        var d = Tensor.Randn([4], seed: 16, device: scope.Device);
        var cd = c.Maximum(d);
        Assert.Equal([3, 4], cd.Shape);
        var ch = c.ToArray();
        var dh = d.ToArray();
        Assert.Equal(Enumerable.Range(0, 12).Select(i => Math.Max(ch[i / 4], dh[i % 4])), cd.ToArray());
        Assert.Equal(Enumerable.Range(0, 12).Select(i => Math.Min(ch[i / 4], dh[i % 4])), c.Minimum(d).ToArray());
        Assert.True(Autograd.GradCheck(t => t[0].Maximum(t[1]), [c, d]));
        Assert.True(Autograd.GradCheck(t => t[0].Minimum(t[1]), [c, d]));
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void ArgMax_and_argmin_give_host_indices_first_on_ties(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var x = Tensor.Randn(Shape, seed: 17, device: scope.Device);
        var host = ToDouble(x.ToArray());
        foreach (int axis in new[] { 0, 1, 2, -1 })
        {
            int a = axis < 0 ? axis + Shape.Length : axis;
            int[] group = GroupOf(Shape, [a]);
            int outSize = group.Max() + 1;
            var argMax = new int[outSize];
            var argMin = new int[outSize];
            var best = Enumerable.Repeat(double.NegativeInfinity, outSize).ToArray();
            var worst = Enumerable.Repeat(double.PositiveInfinity, outSize).ToArray();
            int inner = Shape.Skip(a + 1).Aggregate(1, (p, q) => p * q);
            for (int i = 0; i < host.Length; i++)
            {
                int position = i / inner % Shape[a];
                if (host[i] > best[group[i]])
                {
                    (best[group[i]], argMax[group[i]]) = (host[i], position);
                }
                if (host[i] < worst[group[i]])
                {
                    (worst[group[i]], argMin[group[i]]) = (host[i], position);
                }
            }
            Assert.Equal(argMax, x.ArgMaxIndices(axis));
            Assert.Equal(argMin, x.ArgMinIndices(axis));
        }
        var ties = Tensor.FromArray([1f, 3f, 3f, 2f, 2f, 0f], [2, 3], scope.Device);
        Assert.Equal([1, 0], ties.ArgMaxIndices(1));
        Assert.Equal([0, 2], ties.ArgMinIndices(-1));
        Assert.Equal([1, 0, 0], ties.ArgMaxIndices(0));
    }

    internal static double HostLogSumExp(double[] values)
    {
        double m = values.Max();
        return m + Math.Log(values.Sum(v => Math.Exp(v - m)));
    }

    /// <summary>For every input element (row-major), the row-major index of the output it reduces into.</summary>
    internal static int[] GroupOf(int[] shape, int[] axes)
    {
        int rank = shape.Length;
        var reduced = axes.Length == 0 ? Enumerable.Range(0, rank).ToHashSet() : axes.Select(a => a < 0 ? a + rank : a)
            .ToHashSet();
        int size = shape.Aggregate(1, (p, d) => p * d);
        var group = new int[size];
        for (int i = 0; i < size; i++)
        {
            int rest = i, index = 0, stride = 1;
            for (int d = rank - 1; d >= 0; d--)
            {
                int coordinate = rest % shape[d];
                rest /= shape[d];
                if (!reduced.Contains(d))
                {
                    index += coordinate * stride;
                    stride *= shape[d];
                }
            }
            group[i] = index;
        }
        return group;
    }

    internal static (double[] Values, int[] Shape) HostReduce(double[] x, int[] shape, int[] axes, bool keepDim,
        Func<double[], double> reduce)
    {
        int rank = shape.Length;
        var reduced = axes.Length == 0 ? Enumerable.Range(0, rank).ToArray() : axes.Select(a => a < 0 ? a + rank : a)
            .ToArray();
        int[] group = GroupOf(shape, axes);
        int[] outShape = keepDim
            ? shape.Select((d, i) => reduced.Contains(i) ? 1 : d).ToArray()
            : shape.Where((_, i) => !reduced.Contains(i)).ToArray();
        int outSize = outShape.Aggregate(1, (p, d) => p * d);
        var values = Enumerable.Range(0, outSize)
            .Select(o => reduce(x.Where((_, i) => group[i] == o).ToArray()))
            .ToArray();
        return (values, outShape);
    }

    internal static double[] ToDouble(float[] values) => Array.ConvertAll(values, v => (double)v);

    /// <summary>CUDA's float exp/log compile to approximate instructions (~1e-6 relative and worse).</summary>
    internal static double Rtol(Device device) => device.Kind == DeviceKind.Cuda ? 1e-4 : 1e-5;

    internal static void AssertClose(double[] expected, float[] actual, double rtol, double atol, string what) =>
        AssertClose(expected, Array.ConvertAll(actual, v => (double)v), rtol, atol, what);

    internal static void AssertClose(double[] expected, double[] actual, double rtol, double atol, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            bool ok = e == a || (double.IsNaN(e) && double.IsNaN(a)) || Math.Abs(a - e) <= atol + rtol * Math.Abs(e);
            Assert.True(ok, $"{what}: element {i} is {a:G17}, expected {e:G17} (rtol {rtol}, atol {atol})");
        }
    }
}
