using MicrogradPlus.Nn;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Tensor;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// The ops of ExtendedOpGoldenTests beyond the goldens: float64 gradchecks of every differentiable one on every
/// device (inputs away from kinks and thresholds), the defects' own checks (arange's non-finite ends, x / tiny s),
/// masks and predicates that stay out of the graph, the nn modules, and the argument errors with their messages.
/// </summary>
public class ExtendedOpTests
{
    private static readonly Dictionary<string, Func<Tensor[], Tensor>> Unary = new()
    {
        ["rsqrt"] = t => (t[0].Abs() + 0.5f).Rsqrt(),
        ["sin"] = t => t[0].Sin(),
        ["cos"] = t => t[0].Cos(),
        ["log2"] = t => (t[0].Abs() + 0.5f).Log2(),
        ["exp2"] = t => t[0].Exp2(),
        ["log1p"] = t => t[0].Abs().Log1p(),
        ["expm1"] = t => t[0].Expm1(),
        ["reciprocal"] = t => (t[0].Abs() + 0.5f).Reciprocal(),
        ["square"] = t => t[0].Square(),
        ["erf"] = t => t[0].Erf(),
        ["softplus"] = t => t[0].Softplus(2f, 5f),
        ["elu"] = t => t[0].Elu(0.5f),
        ["selu"] = t => t[0].Selu(),
        ["gelu tanh"] = t => t[0].Gelu("tanh"),
        ["hardswish"] = t => t[0].Hardswish(),
        ["hardsigmoid"] = t => t[0].Hardsigmoid(),
        ["hardtanh"] = t => t[0].Hardtanh(-0.5f, 0.7f),
        ["relu6"] = t => (t[0] * 4f).Relu6(),
        ["mish"] = t => t[0].Mish(),
        ["logsigmoid"] = t => t[0].LogSigmoid(),
        ["softsign"] = t => t[0].Softsign(),
        ["clamp"] = t => t[0].Clamp(-0.5f, 0.7f),
        ["var"] = t => t[0].Var([-1], keepDim: true),
        ["std"] = t => t[0].Std(0, correction: 0),
        ["prod"] = t => t[0].Prod(1),
        ["masked_fill"] = t => t[0].MaskedFill(t[0].Gt(0f), 2f),
    };

    private static readonly Dictionary<string, Func<Tensor[], Tensor>> Binary = new()
    {
        ["logaddexp"] = t => t[0].LogAddExp(t[1]),
        ["lerp"] = t => t[0].Lerp(t[1], 0.3f),
        ["where"] = t => Tensor.Where(t[0].Gt(t[1]), t[0] * t[1], t[1].Exp()),
        ["clamp tensor"] = t => t[0].Clamp(t[1] - 0.25f, t[1] + 0.25f),
        ["bce"] = t => Functional.BinaryCrossEntropy(t[0].Sigmoid(), t[1].Sigmoid(), reduction: "sum"),
        ["bce logits"] = t => Functional.BinaryCrossEntropyWithLogits(t[0], t[1].Sigmoid(), null,
            (t[1] * 0f + 2f).Sum(0), "mean"),
        ["l1"] = t => Functional.L1Loss(t[0], t[1], "none"),
        ["smooth l1"] = t => Functional.SmoothL1Loss(t[0], t[1], "sum", 0.5f),
        ["huber"] = t => Functional.HuberLoss(t[0], t[1], "mean", 0.5f),
        ["mse sum"] = t => Functional.Mse(t[0], t[1], "sum"),
        ["kl_div"] = t => Functional.KlDiv(t[0].LogSoftmax(1), t[1].Softmax(1), "batchmean"),
        ["cosine"] = t => Functional.CosineSimilarity(t[0], t[1], -1),
    };

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Every_differentiable_op_passes_gradcheck_in_float64(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var failures = new List<string>();
        // Away from 0, ±3 and the clamp bounds, where kinks would meet the finite differences.
        double[] values = [-2.3, -1.1, -0.35, 0.2, 0.55, 1.3, 2.6, -0.8, 0.9, 1.7, -1.6, 0.4];
        double[] others = [0.6, -1.4, 0.15, -0.45, 1.2, 0.3, -2.2, 1.9, -0.65, 0.05, 0.8, -1.0];
        var x = Tensor.FromArray(values, [3, 4], scope.Device);
        var y = Tensor.FromArray(others, [3, 4], scope.Device);
        foreach (var (name, op) in Unary)
        {
            Check(name, () => Autograd.GradCheck(op, [x], raiseException: false), failures);
        }
        foreach (var (name, op) in Binary)
        {
            Check(name, () => Autograd.GradCheck(op, [x, y], raiseException: false), failures);
        }
        Assert.True(failures.Count == 0, $"gradcheck failed on {deviceName}: {string.Join(", ", failures)}");
    }

    [Fact]
    public void Prod_gradcheck_holds_with_zeros_in_a_group()
    {
        using var tensors = Tensor.Scope();
        var x = Tensor.FromArray([1.5, 0, -2, 0.5, 0, 0, 3, 1, 0.7, -1.2, 0.9, 2], [3, 4], Device.Cpu);
        Assert.True(Autograd.GradCheck(t => t[0].Prod(-1), [x]));
        Assert.True(Autograd.GradCheck(t => t[0].Prod(), [x]));
    }

    [Fact]
    public void Arange_with_a_nan_or_infinite_end_raises()
    {
        foreach (float end in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            var e = Assert.Throws<ArgumentException>(() => Tensor.Arange(end, Device.Cpu));
            Assert.Contains("finite", e.Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentException>(() => Tensor.Arange(end, 3f, 1f, Device.Cpu));
        }
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Division_by_a_tiny_scalar_is_a_true_division(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        const float s = 1e-39f; // 1/s overflows float32
        var x = Tensor.FromArray([1e-39f, -2e-39f, 0f, 3e-45f], [4], scope.Device, requiresGrad: true);
        var y = x / s;
        Assert.Equal([1e-39f / s, -2e-39f / s, 0f, 3e-45f / s], y.ToArray());
        var g = Autograd.Grad((y * 1e-3f).Sum(), [x])[0].ToArray();
        Assert.All(g, v => Assert.Equal(1e-3f / s, v, 1e30f));
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Masks_predicates_and_any_all_stay_out_of_the_graph(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var x = Tensor.FromArray([float.NaN, float.PositiveInfinity, -1f, 0f], [4], scope.Device, requiresGrad: true);
        foreach (var t in new[] { x.IsNan(), x.IsInf(), x.IsFinite(), x.Any(), x.All(), x.Any(0, keepDim: true) })
        {
            Assert.False(t.RequiresGrad);
        }
        Assert.Equal([1f, 0f, 0f, 0f], x.IsNan().ToArray());
        Assert.Equal([0f, 1f, 0f, 0f], x.IsInf().ToArray());
        Assert.Equal([0f, 0f, 1f, 1f], x.IsFinite().ToArray());
        Assert.Equal(1f, x.Any().Item());
        Assert.Equal(0f, x.All().Item());
        Assert.Equal(DType.Float32, x.Any().DType);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Prod_over_long_rows_and_columns_matches_the_float64_product(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var random = new Random(5);
        var data = Enumerable.Range(0, 3000).Select(_ => (float)(0.999 + 0.002 * random.NextDouble())).ToArray();
        var x = Tensor.FromArray(data, [3, 1000], scope.Device);
        var rows = x.Prod(1).ToArray();
        var columns = x.Prod(0).ToArray();
        for (int r = 0; r < 3; r++)
        {
            double expected = 1;
            for (int c = 0; c < 1000; c++)
            {
                expected *= data[r * 1000 + c];
            }
            Assert.Equal(expected, rows[r], expected * 1e-4);
        }
        Assert.Equal((double)data[0] * data[1000] * data[2000], columns[0], 1e-6);
    }

    [Fact]
    public void Activation_modules_match_their_tensor_ops_and_print_like_pytorch()
    {
        using var tensors = Tensor.Scope();
        var x = Tensor.FromArray([-4f, -1f, -0.25f, 0.5f, 2f, 7f], [6], Device.Cpu);
        var pairs = new (Module Module, Tensor Expected, string Text)[]
        {
            (new Softplus(2f, 5f), x.Softplus(2f, 5f), "Softplus(beta=2, threshold=5)"),
            (new Elu(0.5f), x.Elu(0.5f), "ELU(alpha=0.5)"),
            (new Selu(), x.Selu(), "SELU()"),
            (new Gelu("tanh"), x.Gelu("tanh"), "GELU(approximate='tanh')"),
            (new Gelu(), x.Gelu(), "GELU()"),
            (new Hardswish(), x.Hardswish(), "Hardswish()"),
            (new Hardsigmoid(), x.Hardsigmoid(), "Hardsigmoid()"),
            (new Hardtanh(-2f, 3f), x.Hardtanh(-2f, 3f), "Hardtanh(min_val=-2, max_val=3)"),
            (new Relu6(), x.Relu6(), "ReLU6()"),
            (new Mish(), x.Mish(), "Mish()"),
            (new LogSigmoid(), x.LogSigmoid(), "LogSigmoid()"),
            (new Softsign(), x.Softsign(), "Softsign()"),
        };
        foreach (var (module, expected, text) in pairs)
        {
            Assert.Equal(expected.ToArray(), module.Forward(x).ToArray());
            Assert.Equal(text, module.ToString());
        }
    }

    [Fact]
    public void Bad_arguments_raise_naming_what_was_wrong()
    {
        using var tensors = Tensor.Scope();
        var cpu = Device.Cpu;
        var x = Tensor.Zeros([2, 3], cpu);
        Assert.Contains("at least one", Assert.Throws<ArgumentException>(() => x.Clamp((float?)null, null)).Message,
            StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => x.Clamp((Tensor?)null, null));
        var e = Assert.Throws<ArgumentException>(() => Tensor.Where(Tensor.Zeros([4], cpu), x, x));
        Assert.Contains("(4,)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(2, 3)", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => x.MaskedFill(Tensor.Zeros([3, 3], cpu), 1f));
        Assert.Contains("(3, 3)", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => Tensor.Zeros([3], cpu).MaskedFill(Tensor.Zeros([2, 3], cpu), 1f));
        Assert.Contains("(2, 3)", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Softplus(0f));
        Assert.Contains("tanh", Assert.Throws<ArgumentException>(() => x.Gelu("erf")).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Gelu("erf"));
        Assert.Throws<ArgumentException>(() => x.Hardtanh(1f, -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Var(2));
        e = Assert.Throws<ArgumentException>(() => Functional.L1Loss(x, x, "avg"));
        Assert.Contains("\"avg\"", e.Message, StringComparison.Ordinal);
        Assert.Contains("batchmean", Assert.Throws<ArgumentException>(() => Functional.KlDiv(x, x, "avg")).Message,
            StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Functional.SmoothL1Loss(x, x, beta: -1f));
        Assert.Throws<ArgumentException>(() => Functional.HuberLoss(x, x, delta: 0f));
        e = Assert.Throws<ArgumentException>(() => Functional.BinaryCrossEntropy(x, Tensor.Zeros([3, 2], cpu)));
        Assert.Contains("(3, 2)", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(
            () => Functional.CosineSimilarity(x, Tensor.Zeros([4], cpu)));
        Assert.Contains("(4,)", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Functional.CosineSimilarity(x, x, 2));
    }

    private static void Check(string name, Func<bool> gradCheck, List<string> failures)
    {
        try
        {
            if (!gradCheck())
            {
                failures.Add(name);
            }
        }
#pragma warning disable CA1031 // every failing op is collected and reported together
        catch (Exception e)
#pragma warning restore CA1031
        {
            failures.Add($"{name} ({e.GetType().Name}: {e.Message})");
        }
    }
}
