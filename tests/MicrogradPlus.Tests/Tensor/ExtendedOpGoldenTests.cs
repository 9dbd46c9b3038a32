using System.Globalization;
using System.Text;
using System.Text.Json;
using MicrogradPlus.Nn;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Tensor;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// Every case of tests/goldens/ops_a_goldens.json (written by tests/goldens/generate_ops_a_goldens.py with PyTorch)
/// run on every device in float32 and in float64: element-wise math, activations, where/clamp, var/std/prod/any/all,
/// the float-target losses and the fixed defects (pow's special values, x / tiny s, maximum/minimum at NaN). Values
/// may be non-finite: NaN must meet NaN and an infinity the same infinity. Gradients are those of sum(output · w)
/// (and, for second-order cases, of sum(grads[0] · w2) through the first backward); non-differentiable ops must come
/// out without requiring grad.
/// </summary>
public class ExtendedOpGoldenTests
{
    private delegate Tensor Op(Tensor[] x, Tensor[] c, JsonElement args);

    private static readonly Dictionary<string, Op> Ops = new()
    {
        ["pow"] = (x, _, _) => x[0].Pow(x[1]),
        ["pow_scalar"] = (x, _, a) => x[0].Pow(Float(a, "exponent")),
        ["pow_base"] = (x, _, a) => Tensor.Pow(Float(a, "base"), x[0]),
        ["div_scalar"] = (x, _, a) => x[0] / Float(a, "scalar"),
        ["maximum"] = (x, _, _) => x[0].Maximum(x[1]),
        ["minimum"] = (x, _, _) => x[0].Minimum(x[1]),
        ["rsqrt"] = (x, _, _) => x[0].Rsqrt(),
        ["sin"] = (x, _, _) => x[0].Sin(),
        ["cos"] = (x, _, _) => x[0].Cos(),
        ["log2"] = (x, _, _) => x[0].Log2(),
        ["exp2"] = (x, _, _) => x[0].Exp2(),
        ["log1p"] = (x, _, _) => x[0].Log1p(),
        ["expm1"] = (x, _, _) => x[0].Expm1(),
        ["reciprocal"] = (x, _, _) => x[0].Reciprocal(),
        ["square"] = (x, _, _) => x[0].Square(),
        ["erf"] = (x, _, _) => x[0].Erf(),
        ["sign"] = (x, _, _) => x[0].Sign(),
        ["floor"] = (x, _, _) => x[0].Floor(),
        ["ceil"] = (x, _, _) => x[0].Ceil(),
        ["round"] = (x, _, _) => x[0].Round(),
        ["trunc"] = (x, _, _) => x[0].Trunc(),
        ["isnan"] = (x, _, _) => x[0].IsNan(),
        ["isinf"] = (x, _, _) => x[0].IsInf(),
        ["isfinite"] = (x, _, _) => x[0].IsFinite(),
        ["logaddexp"] = (x, _, _) => x[0].LogAddExp(x[1]),
        ["lerp"] = (x, _, a) => x[0].Lerp(x[1], Float(a, "weight")),
        ["softplus"] = (x, _, _) => x[0].Softplus(),
        ["softplus_b2_t5"] = (x, _, a) => x[0].Softplus(Float(a, "beta"), Float(a, "threshold")),
        ["softplus_b05"] = (x, _, a) => x[0].Softplus(Float(a, "beta"), Float(a, "threshold")),
        ["elu"] = (x, _, a) => x[0].Elu(Float(a, "alpha")),
        ["elu_a05"] = (x, _, a) => new Elu(Float(a, "alpha")).Forward(x[0]),
        ["selu"] = (x, _, _) => x[0].Selu(),
        ["gelu_tanh"] = (x, _, _) => new Gelu("tanh").Forward(x[0]),
        ["hardswish"] = (x, _, _) => x[0].Hardswish(),
        ["hardsigmoid"] = (x, _, _) => x[0].Hardsigmoid(),
        ["hardtanh"] = (x, _, _) => x[0].Hardtanh(),
        ["hardtanh_m2_3"] = (x, _, a) => new Hardtanh(Float(a, "min"), Float(a, "max")).Forward(x[0]),
        ["relu6"] = (x, _, _) => x[0].Relu6(),
        ["mish"] = (x, _, _) => x[0].Mish(),
        ["logsigmoid"] = (x, _, _) => x[0].LogSigmoid(),
        ["softsign"] = (x, _, _) => x[0].Softsign(),
        ["where"] = (x, c, _) => Tensor.Where(c[0], x[0], x[1]),
        ["where_scalar_b"] = (x, c, a) => Tensor.Where(c[0], x[0], Float(a, "value")),
        ["where_scalar_a"] = (x, c, a) => Tensor.Where(c[0], Float(a, "value"), x[0]),
        ["masked_fill"] = (x, c, a) => x[0].MaskedFill(c[0], Float(a, "value")),
        ["clamp"] = (x, _, a) => x[0].Clamp(OptionalFloat(a, "min"), OptionalFloat(a, "max")),
        ["clamp_min"] = (x, _, a) => x[0].ClampMin(Float(a, "min")),
        ["clamp_max"] = (x, _, a) => x[0].ClampMax(Float(a, "max")),
        ["clamp_tensor"] = (x, _, _) => x[0].Clamp(x[1], x[2]),
        ["clamp_tensor_min"] = (x, _, _) => x[0].Clamp(x[1], null),
        ["clamp_tensor_max"] = (x, _, _) => x[0].Clamp(null, x[1]),
        ["var"] = (x, _, a) => x[0].Var(Ints(a, "axes"), Bool(a, "keepDim"), Int(a, "correction")),
        ["std"] = (x, _, a) => x[0].Std(Ints(a, "axes"), Bool(a, "keepDim"), Int(a, "correction")),
        ["prod"] = (x, _, a) => x[0].Prod(Ints(a, "axes"), Bool(a, "keepDim")),
        ["any"] = (x, _, a) => x[0].Any(Ints(a, "axes"), Bool(a, "keepDim")),
        ["all"] = (x, _, a) => x[0].All(Ints(a, "axes"), Bool(a, "keepDim")),
        ["bce"] = (x, c, a) => Functional.BinaryCrossEntropy(x[0], c[0], reduction: Str(a, "reduction")),
        ["bce_weight"] = (x, c, a) => Functional.BinaryCrossEntropy(x[0], c[0], c[1], Str(a, "reduction")),
        ["bce_logits"] = (x, c, a) =>
            Functional.BinaryCrossEntropyWithLogits(x[0], c[0], null, reduction: Str(a, "reduction")),
        ["bce_logits_weights"] = (x, c, a) =>
            Functional.BinaryCrossEntropyWithLogits(x[0], c[0], c[1], c[2], Str(a, "reduction")),
        ["mse"] = (x, _, a) => Functional.Mse(x[0], x[1], Str(a, "reduction")),
        ["l1"] = (x, _, a) => Functional.L1Loss(x[0], x[1], Str(a, "reduction")),
        ["smooth_l1"] = (x, _, a) => Functional.SmoothL1Loss(x[0], x[1], Str(a, "reduction"), Float(a, "beta")),
        ["huber"] = (x, _, a) => Functional.HuberLoss(x[0], x[1], Str(a, "reduction"), Float(a, "delta")),
        ["kl_div"] = (x, _, a) => Functional.KlDiv(x[0], x[1], Str(a, "reduction"), Bool(a, "logTarget")),
        ["kl_div_const_target"] = (x, c, a) =>
            Functional.KlDiv(x[0], c[0], Str(a, "reduction"), Bool(a, "logTarget")),
        ["cosine"] = (x, _, a) => Functional.CosineSimilarity(x[0], x[1], Int(a, "axis"), Float(a, "eps")),
    };

    private static readonly Lazy<JsonDocument> Goldens = new(() => Infrastructure.Goldens.Load("ops_a_goldens.json"));

    /// <summary>Cases on one device in one dtype; the failures are listed together.</summary>
    [Theory]
    [MemberData(nameof(DevicesAndDTypes))]
    public void Every_case_matches_pytorch(string deviceName, DType dtype)
    {
        using var scope = TestDevices.Use(deviceName);
        // float32: the same tolerance as the original goldens; float64 is held to far less (the goldens' digits).
        var (rtol, atol) = dtype == DType.Float32 ? (1e-5, 1e-6) : (1e-8, 1e-10);
        var root = Goldens.Value.RootElement;
        int expected = root.GetProperty("count").GetInt32();
        var (run, failures) = Infrastructure.Goldens.RunCases(root, golden =>
        {
            var problems = new StringBuilder();
            // A case may loosen the float64 tolerance where PyTorch rounds a constant to float32 (its reason is in the
            // generator).
            double caseRtol = dtype == DType.Float64 && golden.TryGetProperty("rtol64", out var loose)
                ? loose.GetDouble()
                : rtol;
            RunCase(golden, scope.Device, dtype, caseRtol, atol, problems);
            return problems;
        });
        Assert.True(expected >= 150, $"ops_a_goldens.json announces only {expected} cases");
        Assert.Equal(expected, run);
        Assert.True(failures.Count == 0,
            $"{failures.Count} of {run} cases failed on {deviceName} ({dtype}):\n" + string.Join("\n", failures));
    }

    /// <summary>Every test device, each in float32 and float64.</summary>
    public static TheoryData<string, DType> DevicesAndDTypes()
    {
        var data = new TheoryData<string, DType>();
        foreach (string device in new[] { "cpu", "cpu-ilgpu", "opencl", "cuda" })
        {
            data.Add(device, DType.Float32);
            data.Add(device, DType.Float64);
        }
        return data;
    }

    private static void RunCase(JsonElement golden, Device device, DType dtype, double rtol, double atol,
        StringBuilder problems)
    {
        using var tensors = Tensor.Scope();
        string opName = golden.GetProperty("op").GetString()!;
        if (!Ops.TryGetValue(opName, out var op))
        {
            throw new NotSupportedException($"no runner for op '{opName}' (add it to ExtendedOpGoldenTests.Ops)");
        }
        var grads = golden.GetProperty("grads");
        bool differentiable = grads.ValueKind != JsonValueKind.Null;
        var inputs = golden.GetProperty("inputs").EnumerateArray()
            .Select(t => Load(t, device, dtype, requiresGrad: differentiable)).ToArray();
        var consts = golden.GetProperty("consts").EnumerateArray()
            .Select(t => Load(t, device, dtype, requiresGrad: false)).ToArray();
        var output = op(inputs, consts, golden.GetProperty("args"));
        Compare("output", output, golden.GetProperty("output"), dtype, rtol, atol, problems);
        if (output.DType != dtype)
        {
            problems.Append(CultureInfo.InvariantCulture, $"output dtype {output.DType}, expected {dtype}; ");
        }
        if (!differentiable)
        {
            if (output.RequiresGrad)
            {
                problems.Append("a non-differentiable op's output requires grad; ");
            }
            return;
        }

        bool secondOrder = golden.TryGetProperty("grad2", out var grad2Golden);
        var w = Load(golden.GetProperty("w"), device, dtype, requiresGrad: false);
        var firstGrads = Autograd.Grad((output * w).Sum(), inputs, createGraph: secondOrder);
        var gradGoldens = grads.EnumerateArray().ToArray();
        for (int i = 0; i < inputs.Length; i++)
        {
            Compare($"grad[{i}]", firstGrads[i], gradGoldens[i], dtype, rtol, atol, problems);
        }
        if (secondOrder)
        {
            var first = firstGrads[0] * Load(golden.GetProperty("w2"), device, dtype, requiresGrad: false);
            var second = first.RequiresGrad
                ? Autograd.Grad(first.Sum(), inputs)
                : inputs.Select(x => Tensor.Zeros(x.Shape, device, dtype)).ToArray();
            var grad2Goldens = grad2Golden.EnumerateArray().ToArray();
            for (int i = 0; i < inputs.Length; i++)
            {
                Compare($"grad2[{i}]", second[i], grad2Goldens[i], dtype, rtol, atol, problems);
            }
        }
    }

    private static void Compare(string what, Tensor actual, JsonElement expected, DType dtype, double rtol,
        double atol, StringBuilder problems)
    {
        int[] shape = Ints(expected, "shape");
        if (!actual.Shape.SequenceEqual(shape))
        {
            problems.Append(CultureInfo.InvariantCulture,
                $"{what} shape ({string.Join(",", actual.Shape)}), expected ({string.Join(",", shape)}); ");
            return;
        }
        var got = actual.ToDoubleArray();
        var want = Values(expected, dtype);
        for (int i = 0; i < want.Length; i++)
        {
            bool ok = double.IsNaN(want[i]) ? double.IsNaN(got[i])
                : double.IsInfinity(want[i]) ? got[i] == want[i]
                : Math.Abs(got[i] - want[i]) <= atol + rtol * Math.Abs(want[i]);
            if (!ok)
            {
                problems.Append(CultureInfo.InvariantCulture, $"{what}[{i}] = {got[i]:G9}, expected {want[i]:G9}; ");
                return;
            }
        }
    }

    private static Tensor Load(JsonElement tensor, Device device, DType dtype, bool requiresGrad)
    {
        int[] shape = Ints(tensor, "shape");
        // Inputs are float32 values written with 9 digits: round back to exactly those values, also for float64.
        var data = Values(tensor, DType.Float32);
        return dtype == DType.Float32
            ? Tensor.FromArray(data.Select(v => (float)v).ToArray(), shape, device, requiresGrad)
            : Tensor.FromArray(data, shape, device, requiresGrad);
    }

    /// <summary>
    /// The values of a golden tensor, with "nan", "inf" and "-inf" read as such. For float32 a finite value beyond
    /// float's range is expected as the infinity the float32 result rounds to.
    /// </summary>
    private static double[] Values(JsonElement tensor, DType dtype) =>
        tensor.GetProperty("data").EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String
            ? e.GetString() switch
            {
                "nan" => double.NaN,
                "inf" => double.PositiveInfinity,
                "-inf" => double.NegativeInfinity,
                var s => throw new FormatException($"unknown value '{s}'"),
            }
            : dtype == DType.Float32 ? (double)(float)e.GetDouble() : e.GetDouble()).ToArray();

    private static float Float(JsonElement args, string name)
    {
        var e = args.GetProperty(name);
        return e.ValueKind == JsonValueKind.String
            ? e.GetString() switch
            {
                "nan" => float.NaN,
                "inf" => float.PositiveInfinity,
                "-inf" => float.NegativeInfinity,
                var s => throw new FormatException($"unknown value '{s}'"),
            }
            : (float)e.GetDouble();
    }

    private static float? OptionalFloat(JsonElement args, string name) =>
        args.GetProperty(name).ValueKind == JsonValueKind.Null ? null : Float(args, name);

    private static int Int(JsonElement args, string name) => args.GetProperty(name).GetInt32();

    private static bool Bool(JsonElement args, string name) => args.GetProperty(name).GetBoolean();

    private static string Str(JsonElement args, string name) => args.GetProperty(name).GetString()!;

    private static int[] Ints(JsonElement args, string name) =>
        args.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();
}
