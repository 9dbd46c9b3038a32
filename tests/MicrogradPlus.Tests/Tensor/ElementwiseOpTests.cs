using System.Globalization;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Tensor;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// Every element-wise op, table-driven: float32 forward values against a float64 host reference (2-D, broadcast
/// pairs, a 0-d operand), float64 gradchecks, float32 first and second derivatives (third for tanh and gelu) against
/// analytic formulas, and the edge values where PyTorch masks gradients (pow at 0, kinks at 0).
/// </summary>
public class ElementwiseOpTests
{
    private static readonly Domain Any = new(-2, 2);
    private static readonly Domain Positive = new(0.1, 3);
    private static readonly Domain AwayFromZero = new(0.5, 2, Signed: true);
    private static readonly Domain AwayFromKink = new(0.1, 2, Signed: true);

    private static readonly Dictionary<string, UnaryCase> Unary = new()
    {
        ["neg"] = new(x => -x, x => -x, Any),
        ["exp"] = new(x => x.Exp(), Math.Exp, new(-3, 3), Math.Exp, Math.Exp),
        ["log"] = new(x => x.Log(), Math.Log, new(0.1, 4), x => 1 / x, x => -1 / (x * x)),
        ["sqrt"] = new(x => x.Sqrt(), Math.Sqrt, new(0.1, 4), x => 0.5 / Math.Sqrt(x), x => -0.25 * Math.Pow(x, -1.5)),
        ["abs"] = new(x => x.Abs(), Math.Abs, AwayFromKink),
        ["relu"] = new(x => x.Relu(), x => Math.Max(x, 0), AwayFromKink),
        ["leaky_relu"] = new(x => x.LeakyRelu(), x => x > 0 ? x : 0.01 * x, AwayFromKink),
        ["leaky_relu(0.2)"] = new(x => x.LeakyRelu(0.2f), x => x > 0 ? x : 0.2 * x, AwayFromKink),
        ["sigmoid"] = new(x => x.Sigmoid(), Sigmoid, new(-4, 4),
            x => Sigmoid(x) * (1 - Sigmoid(x)),
            x => Sigmoid(x) * (1 - Sigmoid(x)) * (1 - 2 * Sigmoid(x))),
        // tanh' = 1 − t², tanh'' = −2t(1 − t²), tanh''' = −2(1 − t²)(1 − 3t²)
        ["tanh"] = new(x => x.Tanh(), Math.Tanh, new(-3, 3),
            x => 1 - Math.Tanh(x) * Math.Tanh(x),
            x => -2 * Math.Tanh(x) * (1 - Math.Tanh(x) * Math.Tanh(x)),
            x => -2 * (1 - Math.Tanh(x) * Math.Tanh(x)) * (1 - 3 * Math.Tanh(x) * Math.Tanh(x))),
        // gelu' = Φ + xφ, gelu'' = φ(2 − x²), gelu''' = xφ(x² − 4)
        ["gelu"] = new(x => x.Gelu(), x => x * NormalCdf(x), new(-3, 3),
            x => NormalCdf(x) + x * NormalPdf(x),
            x => NormalPdf(x) * (2 - x * x),
            x => x * NormalPdf(x) * (x * x - 4)),
        // silu' = σ(1 + x(1 − σ)), silu'' = σ(1 − σ)(2 + x(1 − 2σ)), silu''' = σ(1 − σ)(3(1 − 2σ) + x(1 − 6σ + 6σ²))
        ["silu"] = new(x => x.Silu(), x => x * Sigmoid(x), new(-4, 4),
            x => Sigmoid(x) * (1 + x * (1 - Sigmoid(x))),
            x => Sigmoid(x) * (1 - Sigmoid(x)) * (2 + x * (1 - 2 * Sigmoid(x))),
            x => Sigmoid(x) * (1 - Sigmoid(x)) *
                 (3 * (1 - 2 * Sigmoid(x)) + x * (1 - 6 * Sigmoid(x) + 6 * Sigmoid(x) * Sigmoid(x)))),
        ["pow(3)"] = new(x => x.Pow(3f), x => x * x * x, Any, x => 3 * x * x, x => 6 * x),
        ["pow(2.5)"] = new(x => x.Pow(2.5f), x => Math.Pow(x, 2.5), Positive,
            x => 2.5 * Math.Pow(x, 1.5), x => 3.75 * Math.Sqrt(x)),
        ["pow(0.5)"] = new(x => x.Pow(0.5f), Math.Sqrt, Positive,
            x => 0.5 / Math.Sqrt(x), x => -0.25 * Math.Pow(x, -1.5)),
        ["pow(-1.5)"] = new(x => x.Pow(-1.5f), x => Math.Pow(x, -1.5), new(0.5, 2),
            x => -1.5 * Math.Pow(x, -2.5), x => 3.75 * Math.Pow(x, -3.5)),
        ["pow(0)"] = new(x => x.Pow(0f), _ => 1, Any),
        ["pow(2, x)"] = new(x => Tensor.Pow(2f, x), x => Math.Pow(2, x), Any,
            x => Math.Pow(2, x) * Math.Log(2), x => Math.Pow(2, x) * Math.Log(2) * Math.Log(2)),
        ["x + s"] = new(x => x + 1.5f, x => x + 1.5, Any),
        ["s + x"] = new(x => 1.5f + x, x => 1.5 + x, Any),
        ["x - s"] = new(x => x - 1.5f, x => x - 1.5, Any),
        ["s - x"] = new(x => 1.5f - x, x => 1.5 - x, Any),
        ["x * s"] = new(x => x * -1.5f, x => x * -1.5, Any),
        ["s * x"] = new(x => -1.5f * x, x => -1.5 * x, Any),
        ["x / s"] = new(x => x / 1.5f, x => x / 1.5, Any),
        ["s / x"] = new(x => 1.5f / x, x => 1.5 / x, AwayFromZero, x => -1.5 / (x * x), x => 3 / (x * x * x)),
    };

    private static readonly Dictionary<string, BinaryCase> Binary = new()
    {
        ["add"] = new((a, b) => a + b, (a, b) => a + b, Any, Any),
        ["sub"] = new((a, b) => a - b, (a, b) => a - b, Any, Any),
        // second derivatives: [∂²/∂a², ∂²/∂a∂b, ∂²/∂b²]
        ["mul"] = new((a, b) => a * b, (a, b) => a * b, Any, Any, [(_, _) => 0, (_, _) => 1, (_, _) => 0]),
        ["div"] = new((a, b) => a / b, (a, b) => a / b, Any, AwayFromZero,
            [(_, _) => 0, (_, b) => -1 / (b * b), (a, b) => 2 * a / (b * b * b)]),
        ["pow"] = new((a, b) => a.Pow(b), Math.Pow, new(0.5, 2), Any,
            [
                (a, b) => b * (b - 1) * Math.Pow(a, b - 2),
                (a, b) => Math.Pow(a, b - 1) * (1 + b * Math.Log(a)),
                (a, b) => Math.Pow(a, b) * Math.Log(a) * Math.Log(a),
            ]),
    };

    // Same shape, the brief's three broadcast pairs, and a 0-d operand.
    private static readonly (int[] A, int[] B)[] Pairs =
        [([3, 4], [3, 4]), ([3, 4], [3, 1]), ([4], [3, 4]), ([2, 1, 3], [4, 1]), ([], [2, 3])];

    private static IEnumerable<string> Devices => TestDevices.All.Select(row => row.Data);

    public static MatrixTheoryData<string, string> UnaryOps => new(Devices, Unary.Keys);

    public static MatrixTheoryData<string, string> SmoothUnaryOps =>
        new(Devices, Unary.Where(c => c.Value.D2 is not null).Select(c => c.Key));

    public static MatrixTheoryData<string, string> BinaryOps => new(Devices, Binary.Keys);

    public static MatrixTheoryData<string, string> SmoothBinaryOps =>
        new(Devices, Binary.Where(c => c.Value.Second is not null).Select(c => c.Key));

    [Theory]
    [MemberData(nameof(UnaryOps))]
    public void Unary_forward_matches_float64_reference(string deviceName, string op)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var c = Unary[op];
        var x = c.Domain.Sample(12, op);
        var y = c.Op(Tensor.FromArray(x, [3, 4], scope.Device));
        Assert.Equal([3, 4], y.Shape);
        AssertClose(op, x.Select(v => c.F(v)).ToArray(), y.ToArray(), ToleranceFor(scope.Device));
    }

    [Theory]
    [MemberData(nameof(UnaryOps))]
    public void Unary_gradcheck(string deviceName, string op)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var c = Unary[op];
        var x = Tensor.FromArray(c.Domain.Sample(6, op), [2, 3], scope.Device);
        Assert.True(Autograd.GradCheck(t => c.Op(t[0]), [x]));
    }

    [Theory]
    [MemberData(nameof(SmoothUnaryOps))]
    public void Unary_higher_derivatives_match_analytic(string deviceName, string op)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var c = Unary[op];
        var values = c.Domain.Sample(6, op);
        var x = Tensor.FromArray(values, [2, 3], scope.Device, requiresGrad: true);
        var tolerance = ToleranceFor(scope.Device) * 10; // a few float32 kernels chained
        var d1 = Autograd.Grad(c.Op(x).Sum(), [x], createGraph: true)[0];
        AssertClose($"{op}'", values.Select(v => c.D1!(v)).ToArray(), d1.ToArray(), tolerance);
        var d2 = Autograd.Grad(d1.Sum(), [x], createGraph: c.D3 is not null)[0];
        AssertClose($"{op}''", values.Select(v => c.D2!(v)).ToArray(), d2.ToArray(), tolerance);
        if (c.D3 is not null)
        {
            var d3 = Autograd.Grad(d2.Sum(), [x])[0];
            AssertClose($"{op}'''", values.Select(v => c.D3(v)).ToArray(), d3.ToArray(), tolerance);
        }
    }

    [Theory]
    [MemberData(nameof(BinaryOps))]
    public void Binary_forward_matches_float64_reference_with_broadcasting(string deviceName, string op)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var c = Binary[op];
        foreach (var (aShape, bShape) in Pairs)
        {
            var a = c.A.Sample(Size(aShape), op + "a");
            var b = c.B.Sample(Size(bShape), op + "b");
            var y = c.Op(Tensor.FromArray(a, aShape, scope.Device), Tensor.FromArray(b, bShape, scope.Device));
            var shape = BroadcastShape(aShape, bShape);
            Assert.Equal(shape, y.Shape);
            var ax = BroadcastTo(a, aShape, shape);
            var bx = BroadcastTo(b, bShape, shape);
            var expected = ax.Select((v, i) => c.F(v, bx[i])).ToArray();
            var what = $"{op} {Format(aShape)} with {Format(bShape)}";
            AssertClose(what, expected, y.ToArray(), ToleranceFor(scope.Device));
        }
    }

    [Theory]
    [MemberData(nameof(BinaryOps))]
    public void Binary_gradcheck_with_broadcasting(string deviceName, string op)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var c = Binary[op];
        foreach (var (aShape, bShape) in Pairs)
        {
            var a = Tensor.FromArray(c.A.Sample(Size(aShape), op + "a"), aShape, scope.Device);
            var b = Tensor.FromArray(c.B.Sample(Size(bShape), op + "b"), bShape, scope.Device);
            Assert.True(Autograd.GradCheck(t => c.Op(t[0], t[1]), [a, b]));
        }
    }

    [Theory]
    [MemberData(nameof(SmoothBinaryOps))]
    public void Binary_second_derivatives_match_analytic(string deviceName, string op)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var c = Binary[op];
        var av = c.A.Sample(6, op + "a");
        var bv = c.B.Sample(6, op + "b");
        var a = Tensor.FromArray(av, [2, 3], scope.Device, requiresGrad: true);
        var b = Tensor.FromArray(bv, [2, 3], scope.Device, requiresGrad: true);
        var d1 = Autograd.Grad(c.Op(a, b).Sum(), [a, b], createGraph: true);
        // Σᵢ ∂f/∂aᵢ differentiated by a and b gives (f_aa, f_ab) element-wise; likewise for ∂f/∂b: (f_ab, f_bb).
        var fromA = Autograd.Grad(d1[0].Sum(), [a, b], retainGraph: true);
        var fromB = Autograd.Grad(d1[1].Sum(), [a, b]);
        double[] Expected(int k) => av.Select((v, i) => c.Second![k](v, bv[i])).ToArray();
        var tolerance = ToleranceFor(scope.Device) * 10;
        AssertClose($"{op} ∂²/∂a²", Expected(0), fromA[0].ToArray(), tolerance);
        AssertClose($"{op} ∂²/∂a∂b", Expected(1), fromA[1].ToArray(), tolerance);
        AssertClose($"{op} ∂²/∂b∂a", Expected(1), fromB[0].ToArray(), tolerance);
        AssertClose($"{op} ∂²/∂b²", Expected(2), fromB[1].ToArray(), tolerance);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Edge_values_and_gradients_match_pytorch(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var device = scope.Device;
        var tolerance = ToleranceFor(device);
        const double Inf = double.PositiveInfinity;

        // torch.pow(a, b): ∂/∂a is 0 where b = 0; ∂/∂b is 0 where a = 0 and b ≥ 0, NaN (ln a) where a < 0.
        var a = Tensor.FromArray([0f, 0f, 0f, 2f, -2f, 0f], [6], device, requiresGrad: true);
        var b = Tensor.FromArray([0f, 2f, -1f, 0f, 3f, 0.5f], [6], device, requiresGrad: true);
        var pow = a.Pow(b);
        AssertClose("pow", [1, 0, Inf, 1, -8, 0], pow.ToArray(), tolerance);
        var grads = Autograd.Grad(pow.Sum(), [a, b]);
        AssertClose("pow ∂/∂a", [0, 0, -Inf, 0, 12, Inf], grads[0].ToArray(), tolerance);
        AssertClose("pow ∂/∂b", [0, 0, -Inf, Math.Log(2), double.NaN, 0], grads[1].ToArray(), tolerance);

        // x.pow(0) has gradient 0 even at x = 0; x.pow(p) at 0 follows p·0^(p−1).
        var x = Tensor.FromArray([0f, -2f, 3f], [3], device, requiresGrad: true);
        AssertClose("pow(0)'", [0, 0, 0], GradOf(x, t => t.Pow(0f)), tolerance);
        AssertClose("pow(2)'", [0, -4, 6], GradOf(x, t => t.Pow(2f)), tolerance);
        AssertClose("pow(3)'", [0, 12, 27], GradOf(x, t => t.Pow(3f)), tolerance);

        // torch.pow(0, e): ∞ where e < 0; its gradient is 0 where e ≥ 0 and −∞ (∞·ln 0) where e < 0.
        var e = Tensor.FromArray([-1f, 0f, 2f], [3], device, requiresGrad: true);
        AssertClose("pow(0, e)", [Inf, 1, 0], Tensor.Pow(0f, e).ToArray(), tolerance);
        AssertClose("pow(0, e)'", [-Inf, 0, 0], GradOf(e, t => Tensor.Pow(0f, t)), tolerance);

        // Kinks at 0 take PyTorch's one-sided choices: abs' = relu' = 0, leaky_relu' = α.
        var k = Tensor.FromArray([-1f, 0f, 2f], [3], device, requiresGrad: true);
        AssertClose("abs'", [-1, 0, 1], GradOf(k, t => t.Abs()), tolerance);
        AssertClose("relu'", [0, 0, 1], GradOf(k, t => t.Relu()), tolerance);
        AssertClose("leaky_relu(0.1)", [-0.1, 0, 2], k.LeakyRelu(0.1f).ToArray(), tolerance);
        AssertClose("leaky_relu(0.1)'", [0.1, 0.1, 1], GradOf(k, t => t.LeakyRelu(0.1f)), tolerance);

        var s = Tensor.FromArray([0f, 4f], [2], device, requiresGrad: true);
        AssertClose("sqrt'", [Inf, 0.25], GradOf(s, t => t.Sqrt()), tolerance);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Pow_rejects_mismatched_dtypes_naming_both(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var a = Tensor.Ones([2], scope.Device);
        var b = Tensor.Ones([2], scope.Device, DType.Float64);
        var error = Assert.Throws<ArgumentException>(() => a.Pow(b));
        Assert.Contains("pow", error.Message, StringComparison.Ordinal);
        Assert.Contains("Float64", error.Message, StringComparison.Ordinal);
    }

    private static float[] GradOf(Tensor x, Func<Tensor, Tensor> f) => Autograd.Grad(f(x).Sum(), [x])[0].ToArray();

    private static Tol ToleranceFor(Device device) =>
        // CUDA without libdevice compiles float exp/log to ex2.approx/lg2.approx (DESIGN.md "Measured facts").
        device.Kind == DeviceKind.Cuda ? new(1e-4, 1e-5) : new(1e-5, 1e-6);

    private static void AssertClose(string what, double[] expected, float[] actual, Tol tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        var failures = new List<string>();
        for (int i = 0; i < expected.Length; i++)
        {
            if (!tolerance.Accepts(actual[i], expected[i]))
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture,
                    $"[{i}] expected {expected[i]:G9}, got {actual[i]:G9}"));
            }
        }
        Assert.True(failures.Count == 0, $"{what} ({tolerance}): {string.Join("; ", failures)}");
    }

    private static int Size(int[] shape) => shape.Aggregate(1, (p, d) => p * d);

    private static string Format(int[] shape) => $"({string.Join(", ", shape)})";

    private static int[] BroadcastShape(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var shape = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            shape[i] = da == 1 ? db : da;
        }
        return shape;
    }

    // The row-major values of x (of shape) stretched to target, NumPy's rules.
    private static double[] BroadcastTo(float[] x, int[] shape, int[] target)
    {
        var result = new double[Size(target)];
        int pad = target.Length - shape.Length;
        for (int i = 0; i < result.Length; i++)
        {
            int rest = i, source = 0, stride = 1;
            for (int d = target.Length - 1; d >= pad; d--)
            {
                int coordinate = rest % target[d];
                rest /= target[d];
                if (shape[d - pad] != 1)
                {
                    source += coordinate * stride;
                }
                stride *= shape[d - pad];
            }
            result[i] = x[source];
        }
        return result;
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static double NormalPdf(double x) => Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);

    // Φ(x) = ½(1 + erf(x/√2)), erf z = 2/√π·e^(−z²)·Σ 2ⁿz^(2n+1)/(1·3·…·(2n+1)): positive terms, no cancellation;
    // double-accurate for the |x| ≤ 3 these tests use.
    private static double NormalCdf(double x)
    {
        double z = Math.Abs(x) / Math.Sqrt(2), term = z, sum = z;
        for (int n = 1; n < 100; n++)
        {
            term *= 2 * z * z / (2 * n + 1);
            sum += term;
        }
        double erf = 2 / Math.Sqrt(Math.PI) * Math.Exp(-z * z) * sum;
        return 0.5 * (1 + (x < 0 ? -erf : erf));
    }

    /// <summary>|actual − expected| ≤ Absolute + Relative·|expected|; NaN matches NaN, ∞ only itself.</summary>
    private readonly record struct Tol(double Relative, double Absolute)
    {
        public static Tol operator *(Tol t, double factor) => new(t.Relative * factor, t.Absolute * factor);

        public bool Accepts(double actual, double expected) =>
            double.IsNaN(expected) || double.IsNaN(actual) ? double.IsNaN(expected) && double.IsNaN(actual)
            : double.IsInfinity(expected) || double.IsInfinity(actual) ? actual == expected
            : Math.Abs(actual - expected) <= Absolute + Relative * Math.Abs(expected);

        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"rtol {Relative:G2}, atol {Absolute:G2}");
    }

    /// <summary>Where inputs come from: uniform in [Low, High], or ± that range when Signed (away from 0).</summary>
    private readonly record struct Domain(double Low, double High, bool Signed = false)
    {
        // Seeded by the case name (a stable FNV-1a hash), so each op gets its own, reproducible values.
        public float[] Sample(int count, string name)
        {
            uint seed = 2166136261;
            foreach (char ch in name)
            {
                seed = (seed ^ ch) * 16777619;
            }
            var random = new Random((int)seed);
            var values = new float[count];
            for (int i = 0; i < count; i++)
            {
                double v = Low + (High - Low) * random.NextDouble();
                values[i] = (float)(Signed && random.Next(2) == 0 ? -v : v);
            }
            return values;
        }
    }

    private sealed record UnaryCase(Func<Tensor, Tensor> Op, Func<double, double> F, Domain Domain,
        Func<double, double>? D1 = null, Func<double, double>? D2 = null, Func<double, double>? D3 = null);

    private sealed record BinaryCase(Func<Tensor, Tensor, Tensor> Op, Func<double, double, double> F, Domain A,
        Domain B, Func<double, double, double>[]? Second = null);
}
