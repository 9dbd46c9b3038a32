using System.Globalization;
using System.Text;
using System.Text.Json;
using MicrogradPlus.Nn;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Tensor;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// Every case of tests/goldens/ops_b_goldens.json (tests/goldens/generate_ops_b_goldens.py: index, shape, scan and
/// sort ops, cross-entropy options, nll_loss, embedding) on every device, in float32 and float64: the output and the
/// gradients of sum(output · w). Index outputs must match exactly. One row per device and dtype names every failure.
/// </summary>
public class OpsBGoldenTests
{
    private const double Rtol = 1e-5;
    private const double Atol = 1e-6;

    private delegate Tensor Op(Tensor[] x, JsonElement args, Device device);

    private static readonly Dictionary<string, Op> Ops = new()
    {
        ["gather"] = (x, a, d) => x[0].Gather(Int(a, "axis"), Index(a, "index", d)),
        ["scatter_add"] = (x, a, d) => x[0].ScatterAdd(Int(a, "axis"), Index(a, "index", d), x[1]),
        ["index_select"] = (x, a, d) => x[0].IndexSelect(Int(a, "axis"), Index(a, "index", d)),
        ["one_hot"] = (_, a, d) => Tensor.OneHot(Index(a, "index", d), Int(a, "classes")),
        ["slice_step"] = (x, a, _) => x[0].Slice(Int(a, "axis"), Int(a, "start"), Int(a, "end"), Int(a, "step")),
        ["flip"] = (x, a, _) => x[0].Flip(Ints(a, "axes")),
        ["repeat"] = (x, a, _) => x[0].Repeat(Ints(a, "times")),
        ["roll"] = (x, a, _) => x[0].Roll(Int(a, "shift"), Int(a, "axis")),
        ["pad"] = (x, a, _) => x[0].Pad(Ints(a, "pads"), Float(a, "value")),
        ["split"] = (x, a, _) => x[0].Split(Int(a, "size"), Int(a, "axis"))[Int(a, "piece")],
        ["chunk"] = (x, a, _) => x[0].Chunk(Int(a, "chunks"), Int(a, "axis"))[Int(a, "piece")],
        ["tril"] = (x, a, _) => x[0].Tril(Int(a, "diagonal")),
        ["triu"] = (x, a, _) => x[0].Triu(Int(a, "diagonal")),
        ["eye"] = (_, a, d) => Tensor.Eye(Int(a, "n"), d),
        ["linspace"] = (_, a, d) => Tensor.Linspace(Float(a, "start"), Float(a, "end"), Int(a, "steps"), d),
        ["cumsum"] = (x, a, _) => x[0].CumSum(Int(a, "axis")),
        ["argmax"] = (x, a, _) => x[0].ArgMax(Int(a, "axis"), a.GetProperty("keepDim").GetBoolean()),
        ["argmin"] = (x, a, _) => x[0].ArgMin(Int(a, "axis"), a.GetProperty("keepDim").GetBoolean()),
        ["sort_values"] = (x, a, _) => x[0].Sort(Int(a, "axis"), a.GetProperty("descending").GetBoolean()).Values,
        ["sort_indices"] = (x, a, _) => x[0].Sort(Int(a, "axis"), a.GetProperty("descending").GetBoolean()).Indices,
        ["topk_values"] = (x, a, _) => x[0].TopK(Int(a, "k"), Int(a, "axis")).Values,
        ["topk_indices"] = (x, a, _) => x[0].TopK(Int(a, "k"), Int(a, "axis")).Indices,
        ["cross_entropy"] = (x, a, d) => Functional.CrossEntropy(x[0], Index(a, "target", d), Weight(a, x[0]),
            a.TryGetProperty("ignoreIndex", out var ignore) ? ignore.GetInt32() : -100,
            a.GetProperty("reduction").GetString()!,
            a.TryGetProperty("labelSmoothing", out var s) ? (float)s.GetDouble() : 0f),
        ["cross_entropy_soft"] = (x, a, _) => Functional.CrossEntropy(x[0], x[1], Weight(a, x[0]),
            reduction: a.GetProperty("reduction").GetString()!, labelSmoothing: Float(a, "labelSmoothing")),
        ["nll_loss"] = (x, a, d) => Functional.NllLoss(x[0], Index(a, "target", d), Weight(a, x[0]),
            reduction: a.GetProperty("reduction").GetString()!),
        ["embedding"] = (x, a, d) => Functional.Embedding(Index(a, "index", d), x[0],
            a.TryGetProperty("paddingIdx", out var p) ? p.GetInt32() : null),
    };

    private static readonly Lazy<JsonDocument> Goldens = new(() => Infrastructure.Goldens.Load("ops_b_goldens.json"));

    /// <summary>Device × dtype rows.</summary>
    public static TheoryData<string, DType> Rows
    {
        get
        {
            var rows = new TheoryData<string, DType>();
            foreach (string device in new[] { "cpu", "cpu-ilgpu", "opencl", "cuda" })
            {
                rows.Add(device, DType.Float32);
                rows.Add(device, DType.Float64);
            }
            return rows;
        }
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void Every_case_matches_pytorch(string deviceName, DType dtype)
    {
        using var scope = TestDevices.Use(deviceName);
        var root = Goldens.Value.RootElement;
        int expected = root.GetProperty("count").GetInt32();
        var (run, failures) = Infrastructure.Goldens.RunCases(root, golden => RunCase(golden, scope.Device, dtype));
        Assert.True(expected >= 120, $"ops_b_goldens.json announces only {expected} cases");
        Assert.Equal(expected, run);
        Assert.True(failures.Count == 0,
            $"{failures.Count} of {run} cases failed on {deviceName} {dtype}:\n" + string.Join("\n", failures));
    }

    private static StringBuilder RunCase(JsonElement golden, Device device, DType dtype)
    {
        using var tensors = Tensor.Scope();
        var problems = new StringBuilder();
        string opName = golden.GetProperty("op").GetString()!;
        var op = Ops[opName];
        var args = golden.GetProperty("args");
        var inputs = golden.GetProperty("inputs").EnumerateArray()
            .Select(t => FromJson(t, device, dtype, requiresGrad: true)).ToArray();
        var output = op(inputs, args, device);
        bool indexOutput = opName is "one_hot" or "argmax" or "argmin" or "sort_indices" or "topk_indices";
        if (indexOutput && output.DType != DType.Int32)
        {
            problems.Append(CultureInfo.InvariantCulture, $"output dtype {output.DType}, expected Int32; ");
        }
        Compare(problems, "output", output, golden.GetProperty("output"), indexOutput ? 0 : 1);
        if (!golden.TryGetProperty("grads", out var gradGoldens))
        {
            return problems;
        }
        var w = FromJson(golden.GetProperty("w"), device, dtype, requiresGrad: false);
        var grads = Autograd.Grad((output * w).Sum(), inputs);
        int i = 0;
        foreach (var g in gradGoldens.EnumerateArray())
        {
            Compare(problems, $"grad[{i}]", grads[i], g, 1);
            i++;
        }
        return problems;
    }

    private static void Compare(StringBuilder problems, string what, Tensor actual, JsonElement expected, double scale)
    {
        int[] shape = Ints(expected, "shape");
        if (!actual.Shape.SequenceEqual(shape))
        {
            problems.Append(CultureInfo.InvariantCulture,
                $"{what} shape ({string.Join(",", actual.Shape)}), expected ({string.Join(",", shape)}); ");
            return;
        }
        var got = actual.ToDoubleArray();
        var want = expected.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (int i = 0; i < want.Length; i++)
        {
            bool close = Math.Abs(got[i] - want[i]) <= scale * (Atol + Rtol * Math.Abs(want[i])) ||
                         (double.IsNaN(got[i]) && double.IsNaN(want[i]));
            if (!close)
            {
                problems.Append(CultureInfo.InvariantCulture, $"{what}[{i}] = {got[i]:G9}, expected {want[i]:G9}; ");
                return;
            }
        }
    }

    private static Tensor FromJson(JsonElement t, Device device, DType dtype, bool requiresGrad)
    {
        var data = t.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var x = Tensor.FromArray(data, Ints(t, "shape"), device);
        if (dtype == DType.Float32)
        {
            x = x.To(DType.Float32);
        }
        x.RequiresGrad = requiresGrad;
        return x;
    }

    private static Tensor Index(JsonElement args, string name, Device device)
    {
        var t = args.GetProperty(name);
        return Tensor.FromArray(Ints(t, "data"), Ints(t, "shape"), device);
    }

    private static Tensor? Weight(JsonElement args, Tensor like) =>
        args.TryGetProperty("weight", out var w) ? FromJson(w, like.Device, like.DType, requiresGrad: false) : null;

    private static int Int(JsonElement args, string name) => args.GetProperty(name).GetInt32();

    private static float Float(JsonElement args, string name) => (float)args.GetProperty(name).GetDouble();

    private static int[] Ints(JsonElement args, string name) =>
        args.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();
}
