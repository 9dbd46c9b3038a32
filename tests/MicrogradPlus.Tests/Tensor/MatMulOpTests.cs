using System.Reflection;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Tensor;

using Tensor = MicrogradPlus.Tensor;

/// <summary>MatMul with torch.matmul's rank rules against a float64 host reference, gradients by GradCheck.</summary>
public class MatMulOpTests
{
    // (left shape, right shape, result shape as torch.matmul gives it)
    private static readonly (int[] A, int[] B, int[] C)[] RankCases =
    [
        ([3], [3], []),
        ([3], [3, 4], [4]),
        ([2, 3], [3], [2]),
        ([2, 3], [3, 4], [2, 4]),
        ([2, 3, 4], [4, 5], [2, 3, 5]),
        ([2, 1, 3, 4], [5, 4, 2], [2, 5, 3, 2]),
        ([4], [2, 4, 3], [2, 3]),
        ([2, 3, 4], [4], [2, 3]),
    ];

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Every_rank_combination_matches_host(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        ulong seed = 20;
        foreach (var (aShape, bShape, cShape) in RankCases)
        {
            var a = Tensor.Randn(aShape, seed: seed++, device: scope.Device);
            var b = Tensor.Randn(bShape, seed: seed++, device: scope.Device);
            var c = a.MatMul(b);
            string what = $"({string.Join(", ", aShape)})·({string.Join(", ", bShape)})";
            Assert.True(cShape.SequenceEqual(c.Shape), $"{what}: shape ({string.Join(", ", c.Shape)})");
            var (expected, hostShape) = HostMatMul(ReductionOpTests.ToDouble(a.ToArray()), aShape,
                ReductionOpTests.ToDouble(b.ToArray()), bShape);
            Assert.Equal(cShape, hostShape);
            ReductionOpTests.AssertClose(expected, c.ToArray(), 1e-5, 1e-5, what);
        }
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Every_rank_combination_passes_gradcheck(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        ulong seed = 40;
        foreach (var (aShape, bShape, _) in RankCases)
        {
            var a = Tensor.Randn(aShape, seed: seed++, device: scope.Device);
            var b = Tensor.Randn(bShape, seed: seed++, device: scope.Device);
            Assert.True(Autograd.GradCheck(t => t[0].MatMul(t[1]), [a, b]));
        }
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Strided_operands_and_broadcast_gradients_match_host(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        // A broadcast batch view (stride 0) on the left, a column-broadcast view on the right.
        var a = Tensor.Randn([1, 2, 3], seed: 60, device: scope.Device, requiresGrad: true);
        var b = Tensor.Randn([3, 1], seed: 61, device: scope.Device, requiresGrad: true);
        var aView = a.Expand(4, 2, 3);
        var bView = b.Expand(3, 5);
        var c = aView.MatMul(bView);
        var (expected, shape) = HostMatMul(ReductionOpTests.ToDouble(aView.ToArray()), [4, 2, 3],
            ReductionOpTests.ToDouble(bView.ToArray()), [3, 5]);
        Assert.Equal(shape, c.Shape);
        ReductionOpTests.AssertClose(expected, c.ToArray(), 1e-5, 1e-5, "expanded operands");
        // Σ C: the incoming gradient is itself a broadcast view. ∂/∂A = 4 batches · row sums of B (5·b),
        // ∂/∂b = 5 columns · column sums of A over rows and batches (4·Σᵢ aᵢₖ).
        c.Sum().Backward();
        var ah = a.ToArray();
        var bh = b.ToArray();
        var expectedA = Enumerable.Range(0, 6).Select(i => 4.0 * 5 * bh[i % 3]).ToArray();
        var expectedB = Enumerable.Range(0, 3).Select(k => 4.0 * 5 * (ah[k] + ah[3 + k])).ToArray();
        ReductionOpTests.AssertClose(expectedA, a.Grad!.ToArray(), 1e-5, 1e-5, "dA");
        ReductionOpTests.AssertClose(expectedB, b.Grad!.ToArray(), 1e-5, 1e-5, "dB");
        Assert.True(Autograd.GradCheck(t => t[0].Expand(4, 2, 3).MatMul(t[1].Expand(3, 5)), [a, b]));
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Products_larger_than_a_tile_match_host_forward_and_backward(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        // 17, 18, 19 cross the GPU kernel's 16-wide tiles, so partial tiles meet the transposed backward products.
        var a = Tensor.Randn([2, 17, 19], seed: 80, device: scope.Device, requiresGrad: true);
        var b = Tensor.Randn([19, 18], seed: 81, device: scope.Device, requiresGrad: true);
        var g = Tensor.Randn([2, 17, 18], seed: 82, device: scope.Device);
        var c = a.MatMul(b);
        c.Backward(g);
        var ah = ReductionOpTests.ToDouble(a.ToArray());
        var bh = ReductionOpTests.ToDouble(b.ToArray());
        var gh = ReductionOpTests.ToDouble(g.ToArray());
        var (expected, _) = HostMatMul(ah, [2, 17, 19], bh, [19, 18]);
        ReductionOpTests.AssertClose(expected, c.ToArray(), 1e-5, 1e-5, "C");
        // dA = G·Bᵀ; dB = Σ over the batch of Aᵀ·G.
        var (dA, _) = HostMatMul(gh, [2, 17, 18], ReductionOpTests.ToDouble(Transposed(b.ToArray(), 1, 19, 18)),
            [18, 19]);
        var (dBatched, _) = HostMatMul(ReductionOpTests.ToDouble(Transposed(a.ToArray(), 2, 17, 19)), [2, 19, 17],
            gh, [2, 17, 18]);
        var dB = Enumerable.Range(0, 19 * 18).Select(i => dBatched[i] + dBatched[19 * 18 + i]).ToArray();
        ReductionOpTests.AssertClose(dA, a.Grad!.ToArray(), 1e-5, 1e-5, "dA");
        ReductionOpTests.AssertClose(dB, b.Grad!.ToArray(), 1e-5, 1e-5, "dB");
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Transposed_products_pass_gradcheck(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        // MatMulT is internal (the transposed products the backward is made of); reached by reflection so every
        // flag combination is checked, not only those MatMul's first and second derivatives use.
        var matMulT = typeof(Tensor).GetMethod("MatMulT", BindingFlags.NonPublic | BindingFlags.Static)!;
        ulong seed = 70;
        foreach (bool ta in new[] { false, true })
        {
            foreach (bool tb in new[] { false, true })
            {
                // op(A) is (2, 3) in each of two batches, op(B) is (3, 2) shared by both.
                var a = Tensor.Randn(ta ? [2, 3, 2] : [2, 2, 3], seed: seed++, device: scope.Device);
                var b = Tensor.Randn(tb ? [2, 3] : [3, 2], seed: seed++, device: scope.Device);
                // With a third tensor: the bias [2], added to every row in the same launch.
                Tensor Product(Tensor[] t) =>
                    (Tensor)matMulT.Invoke(null,
                        [t[0], t[1], ta, tb, t.Length > 2 ? t[2] : null, matMulT.GetParameters()[5].DefaultValue])!;
                var c = Product([a, b]);
                Assert.Equal([2, 2, 2], c.Shape);
                var at = ta ? Transposed(a.ToArray(), 2, 3, 2) : a.ToArray();
                var bt = tb ? Transposed(b.ToArray(), 1, 2, 3) : b.ToArray();
                var (expected, _) = HostMatMul(ReductionOpTests.ToDouble(at), [2, 2, 3],
                    ReductionOpTests.ToDouble(bt), [3, 2]);
                ReductionOpTests.AssertClose(expected, c.ToArray(), 1e-5, 1e-5, $"MatMulT({ta}, {tb})");
                Assert.True(Autograd.GradCheck(Product, [a, b]));
                var bias = Tensor.Randn([2], seed: seed++, device: scope.Device);
                var withBias = bias.ToArray();
                ReductionOpTests.AssertClose(expected.Select((v, i) => v + withBias[i % 2]).ToArray(),
                    Product([a, b, bias]).ToArray(), 1e-5, 1e-5, $"MatMulT({ta}, {tb}) + bias");
                Assert.True(Autograd.GradCheck(Product, [a, b, bias]));
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Second_derivative_of_exp_of_matmul_matches_finite_differences(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        double[] aData = [0.2, -0.5, 0.1, 0.4, 0.3, -0.2];
        double[] bData = [0.5, -0.1, 0.3, 0.2, -0.4, 0.6];
        double[] va = [1.0, 0.5, -0.5, 0.25, -1.0, 0.75];
        double[] vb = [-0.5, 1.0, 0.25, -0.75, 0.5, 1.0];
        // f(A, B) = Σ exp(A·B); H·v from differentiating ⟨∇f, v⟩, against central differences of ∇f along v.
        var a = Tensor.FromArray(aData, [2, 3], scope.Device, requiresGrad: true);
        var b = Tensor.FromArray(bData, [3, 2], scope.Device, requiresGrad: true);
        var grads = Autograd.Grad(a.MatMul(b).Exp().Sum(), [a, b], createGraph: true);
        var directional = (grads[0] * Tensor.FromArray(va, [2, 3], scope.Device)).Sum() +
                          (grads[1] * Tensor.FromArray(vb, [3, 2], scope.Device)).Sum();
        directional.Backward();
        const double eps = 1e-5;
        var plus = Gradients(Shift(aData, va, eps), Shift(bData, vb, eps), scope.Device);
        var minus = Gradients(Shift(aData, va, -eps), Shift(bData, vb, -eps), scope.Device);
        var analytic = a.Grad!.ToDoubleArray().Concat(b.Grad!.ToDoubleArray()).ToArray();
        for (int i = 0; i < analytic.Length; i++)
        {
            double numeric = (plus[i] - minus[i]) / (2 * eps);
            Assert.True(Math.Abs(analytic[i] - numeric) <= 1e-7 + 1e-6 * Math.Abs(numeric),
                $"element {i}: analytic {analytic[i]:G10}, numeric {numeric:G10}");
        }
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Bad_shapes_throw_naming_both(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var a = Tensor.Zeros([2, 3], scope.Device);
        var error = Assert.Throws<ArgumentException>(() => a.MatMul(Tensor.Zeros([4, 5], scope.Device)));
        Assert.Contains("(2, 3)", error.Message, StringComparison.Ordinal);
        Assert.Contains("(4, 5)", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => Tensor.Zeros([3], scope.Device)
            .MatMul(Tensor.Zeros([4], scope.Device)));
        Assert.Contains("(3,)", error.Message, StringComparison.Ordinal);
        Assert.Contains("(4,)", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, 3, 4], scope.Device)
            .MatMul(Tensor.Zeros([3, 4, 5], scope.Device)));
        Assert.Contains("(2, 3, 4)", error.Message, StringComparison.Ordinal);
        Assert.Contains("(3, 4, 5)", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => Tensor.Scalar(2f, scope.Device).MatMul(a));
        Assert.Contains("rank", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => a.MatMul(Tensor.Zeros([3, 2], scope.Device, DType.Float64)));
        Assert.Contains("Float64", error.Message, StringComparison.Ordinal);
    }

    private static double[] Shift(double[] x, double[] v, double eps) => x.Select((xi, i) => xi + eps * v[i]).ToArray();

    private static double[] Gradients(double[] aData, double[] bData, Device device)
    {
        using var inner = Tensor.Scope();
        var a = Tensor.FromArray(aData, [2, 3], device, requiresGrad: true);
        var b = Tensor.FromArray(bData, [3, 2], device, requiresGrad: true);
        var grads = Autograd.Grad(a.MatMul(b).Exp().Sum(), [a, b]);
        return grads[0].ToDoubleArray().Concat(grads[1].ToDoubleArray()).ToArray();
    }

    /// <summary>Swaps the last two dimensions of a row-major (batch, rows, cols) array.</summary>
    private static float[] Transposed(float[] x, int batch, int rows, int cols)
    {
        var result = new float[x.Length];
        for (int n = 0; n < batch; n++)
        {
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < cols; j++)
                {
                    result[(n * cols + j) * rows + i] = x[(n * rows + i) * cols + j];
                }
            }
        }
        return result;
    }

    /// <summary>torch.matmul on the host in float64, shapes included.</summary>
    private static (double[] Values, int[] Shape) HostMatMul(double[] a, int[] aShape, double[] b, int[] bShape)
    {
        int[] a2 = aShape.Length == 1 ? [1, aShape[0]] : aShape;
        int[] b2 = bShape.Length == 1 ? [bShape[0], 1] : bShape;
        int m = a2[^2], k = a2[^1], n = b2[^1];
        Assert.Equal(k, b2[^2]);
        int rank = Math.Max(a2.Length, b2.Length) - 2;
        int[] aBatch = [.. Enumerable.Repeat(1, rank - (a2.Length - 2)), .. a2[..^2]];
        int[] bBatch = [.. Enumerable.Repeat(1, rank - (b2.Length - 2)), .. b2[..^2]];
        int[] batch = aBatch.Zip(bBatch, Math.Max).ToArray();
        int batches = batch.Aggregate(1, (p, d) => p * d);
        var c = new double[batches * m * n];
        for (int t = 0; t < batches; t++)
        {
            int rest = t, aIndex = 0, bIndex = 0, aStride = 1, bStride = 1;
            for (int d = rank - 1; d >= 0; d--)
            {
                int coordinate = rest % batch[d];
                rest /= batch[d];
                aIndex += (aBatch[d] == 1 ? 0 : coordinate) * aStride;
                bIndex += (bBatch[d] == 1 ? 0 : coordinate) * bStride;
                aStride *= aBatch[d];
                bStride *= bBatch[d];
            }
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double sum = 0;
                    for (int p = 0; p < k; p++)
                    {
                        sum += a[(aIndex * m + i) * k + p] * b[(bIndex * k + p) * n + j];
                    }
                    c[(t * m + i) * n + j] = sum;
                }
            }
        }
        var shape = new List<int>(batch) { m, n };
        if (bShape.Length == 1)
        {
            shape.RemoveAt(shape.Count - 1);
        }
        if (aShape.Length == 1)
        {
            shape.RemoveAt(shape.Count - (bShape.Length == 1 ? 1 : 2));
        }
        return (c, [.. shape]);
    }
}
