using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MicrogradPlus.Nn;
using Xunit;

namespace MicrogradPlus.Tests.Nn;

using Tensor = MicrogradPlus.Tensor;

public partial class OnnxExportTests
{
    // The first row of every wide input: each activation's branch points (softplus's default threshold at x = 20 and
    // the custom ones below, hardswish's and hardsigmoid's ±3, relu6's 6, the clips) and values far past them, where
    // e^x overflows float32.
    private static readonly float[] Edges =
        [-100f, -60f, -20.5f, -3f, -2.999f, -0.5f, -1e-3f, 0f, 1e-3f, 0.5f, 2.45f, 2.55f, 2.999f, 3f, 6f, 19.9f, 20.1f,
            60f, 100f];

    public static TheoryData<string> WideActivations => [.. WideBuilders.Keys];

    // The activation alone (no Linear around it to mix the branches away), and the spread of the random rows.
    private static readonly Dictionary<string, (Func<Module> Build, float Scale)> WideBuilders = new()
    {
        ["softplus"] = (() => new Softplus(), 30f),
        ["softplus beta 2 threshold 5"] = (() => new Softplus(2f, 5f), 5f),
        ["softplus beta 0.5 threshold 1"] = (() => new Softplus(0.5f, 1f), 5f),
        ["softplus beta -1"] = (() => new Softplus(-1f), 30f),
        ["elu"] = (() => new Elu(), 10f),
        ["elu 0.3"] = (() => new Elu(0.3f), 10f),
        ["selu"] = (() => new Selu(), 10f),
        ["gelu"] = (() => new Gelu(), 10f),
        ["gelu tanh"] = (() => new Gelu("tanh"), 10f),
        ["silu"] = (() => new Silu(), 30f),
        ["hardswish"] = (() => new Hardswish(), 5f),
        ["hardsigmoid"] = (() => new Hardsigmoid(), 5f),
        ["hardtanh"] = (() => new Hardtanh(), 3f),
        ["hardtanh -2.5 0.5"] = (() => new Hardtanh(-2.5f, 0.5f), 3f),
        ["relu6"] = (() => new Relu6(), 10f),
        ["mish"] = (() => new Mish(), 30f),
        ["logsigmoid"] = (() => new LogSigmoid(), 50f),
        ["softsign"] = (() => new Softsign(), 50f),
    };

    public static TheoryData<string> ShapedModels => [.. ShapedBuilders.Keys];

    // Models whose input is not [N, 5], or whose layers need state beyond their initial values.
    private static readonly Dictionary<string, (Func<Module> Build, int[] Sample)> ShapedBuilders = new()
    {
        ["layer norm"] = (() => WithRandomAffine(new Sequential(new Linear(5, 6, seed: 51), new LayerNorm([6]))), [5]),
        ["layer norm without affine"] =
            (() => new Sequential(new Linear(5, 6, seed: 52), new LayerNorm([6], elementwiseAffine: false)), [5]),
        ["layer norm over two dimensions, eps 1e-3"] =
            (() => WithRandomAffine(new Sequential(new Linear(5, 6, seed: 53), new LayerNorm([3, 6], 1e-3f))), [3, 5]),
        ["batch norm"] = (() => Trained(new Sequential(new Linear(5, 4, seed: 54), new BatchNorm1d(4)), [5]), [5]),
        ["batch norm on [N, C, L]"] =
            (() => Trained(new Sequential(new Linear(5, 4, seed: 55), new BatchNorm1d(3, eps: 1e-3f)), [3, 5]), [3, 5]),
        ["batch norm without affine"] =
            (() => Trained(new Sequential(new Linear(5, 4, seed: 56), new BatchNorm1d(4, affine: false)), [5]), [5]),
        ["batch norm with batch statistics"] = (() => WithRandomAffine(new Sequential(new Linear(5, 4, seed: 57),
            new BatchNorm1d(4, trackRunningStats: false))), [5]),
        ["batch norm with batch statistics on [N, C, L]"] = (() => WithRandomAffine(new Sequential(
            new Linear(5, 4, seed: 58), new BatchNorm1d(3, trackRunningStats: false))), [3, 5]),
        ["flatten"] = (() => new Sequential(new Linear(5, 4, seed: 59), new Flatten()), [2, 3, 5]),
        ["flatten 1..2"] = (() => new Sequential(new Linear(5, 4, seed: 60), new Flatten(1, 2), new Tanh()), [2, 3, 5]),
        ["flatten -2..-1"] = (() => new Sequential(new Linear(5, 4, seed: 61), new Flatten(-2, -1)), [2, 3, 5]),
        ["flatten 2..2"] = (() => new Sequential(new Linear(5, 4, seed: 62), new Flatten(2, 2)), [2, 3, 5]),
        ["flatten then linear"] = (() => new Sequential(new Flatten(), new Linear(15, 3, seed: 63)), [3, 5]),
        ["mlp with layer norm, batch norm and an activation module"] = (() => Trained(new Sequential(
            new Linear(5, 8, seed: 64), new LayerNorm([8]), new Mish(), new Linear(8, 6, seed: 65), new BatchNorm1d(6),
            new Hardswish(), new Dropout(0.3f), new Identity(), new Linear(6, 3, seed: 66)), [5]), [5]),
    };

    [Theory]
    [MemberData(nameof(WideActivations))]
    public void Activations_match_on_wide_inputs_and_at_their_branch_points(string name)
    {
        using var tensors = Tensor.Scope();
        var (build, scale) = WideBuilders[name];
        using var model = build();
        ExportAndCompare(name, model, [Edges.Length], batch => WideInput(batch, scale));
    }

    [Theory]
    [MemberData(nameof(ShapedModels))]
    public void Normalization_and_reshaping_layers_match(string name)
    {
        using var tensors = Tensor.Scope();
        var (build, sample) = ShapedBuilders[name];
        using var model = build();
        ExportAndCompare(name, model, sample,
            batch => Tensor.Randn([batch, .. sample], seed: (ulong)(300 + batch), device: DeviceOf(model)));
    }

    [Fact]
    public void Every_mlp_activation_exports()
    {
        foreach (var activation in Enum.GetValues<Activation>())
        {
            using var tensors = Tensor.Scope();
            using var model = new Mlp(5, [8, 6], 3, activation, seed: 70);
            ExportAndCompare($"mlp {activation}", model, [5],
                batch => Tensor.Randn([batch, 5], seed: (ulong)(400 + batch), device: DeviceOf(model)) * 3f);
        }
    }

    [Fact]
    public void Normalization_layers_keep_state_dict_names_and_attributes()
    {
        using var tensors = Tensor.Scope();
        using var model = new Sequential(new Linear(5, 6, seed: 1), new LayerNorm([3, 6], 1e-3f),
            new BatchNorm1d(3), new Flatten());
        var proto = MicrogradPlus.OnnxProto.ModelProto.Parser.ParseFrom(Onnx.ToBytes(model, [1, 3, 5]));
        Assert.Equal(["0.weight_t", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias", "2.running_mean",
            "2.running_var"], proto.Graph.Initializer.Select(i => i.Name));
        Assert.Equal(["MatMul", "Add", "LayerNormalization", "BatchNormalization", "Flatten"],
            proto.Graph.Node.Select(n => n.OpType));
        var layerNorm = proto.Graph.Node[2];
        Assert.Equal(-2, layerNorm.Attribute.Single(a => a.Name == "axis").I);
        Assert.Equal(1e-3f, layerNorm.Attribute.Single(a => a.Name == "epsilon").F);
    }

    [Fact]
    public void Flattening_the_batch_and_embeddings_are_refused_with_the_reason()
    {
        using var tensors = Tensor.Scope();
        using var flatten = new Sequential(new Linear(5, 3, seed: 1), new Flatten(0));
        var e = Assert.Throws<NotSupportedException>(() => Onnx.ToBytes(flatten, [1, 5]));
        Assert.Contains("Flatten(start_dim=0, end_dim=-1) at '1' merges the batch dimension", e.Message,
            StringComparison.Ordinal);
        using var embedding = new Sequential(new Linear(5, 3, seed: 1), new Embedding(10, 3, seed: 2));
        var refused = Assert.Throws<NotSupportedException>(() => Onnx.ToBytes(embedding, [1, 5]));
        Assert.Contains("Embedding at '1' must be the model's first layer", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_embedding_first_makes_the_input_int32_indices()
    {
        using var tensors = Tensor.Scope();
        using var model = WithRandomAffine(new Sequential(new Embedding(10, 4, paddingIdx: 0, seed: 67),
            new LayerNorm([4]), new Flatten(), new Linear(12, 3, seed: 68)));
        string path = TempPath();
        try
        {
            Onnx.Export(model, [1, 3], path);
            using var session = new InferenceSession(path);
            Assert.Equal(typeof(int), session.InputMetadata["input"].ElementType);
            foreach (int batch in new[] { 1, 7 })
            {
                var random = new Random(600 + batch);
                int[] data = [.. Enumerable.Range(0, batch * 3).Select(_ => random.Next(10))];
                var x = Tensor.FromArray(data, [batch, 3], DeviceOf(model));
                using var results = session.Run(
                    [NamedOnnxValue.CreateFromTensor("input", new DenseTensor<int>(data, [batch, 3]))]);
                Compare("embedding", batch, Forward(model, x), results[0].AsEnumerable<float>().ToArray());
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void ExportAndCompare(string name, Module model, int[] sample, Func<int, Tensor> input)
    {
        string path = TempPath();
        try
        {
            Onnx.Export(model, [1, .. sample], path);
            using var session = new InferenceSession(path);
            foreach (int batch in new[] { 1, 7 })
            {
                var x = input(batch);
                Compare(name, batch, Forward(model, x), Run(session, x.ToArray(), [batch, .. sample]));
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    // Row 0 is the edge values; the other rows are normal with standard deviation scale.
    private static Tensor WideInput(int batch, float scale)
    {
        var random = new Random(500 + batch);
        var data = new float[batch * Edges.Length];
        Edges.CopyTo(data, 0);
        for (int i = Edges.Length; i < data.Length; i++)
        {
            double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
            data[i] = scale * (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return Tensor.FromArray(data, [batch, Edges.Length], Device.Default);
    }

    // Gives every LayerNorm and BatchNorm1d weight and bias random values (they start at ones and zeros).
    private static Sequential WithRandomAffine(Sequential model)
    {
        using var noGrad = Autograd.NoGrad();
        ulong seed = 80;
        foreach (var layer in model.NamedChildren().Select(c => c.Value))
        {
            Tensor?[] affine = layer switch
            {
                LayerNorm n => [n.Weight, n.Bias],
                BatchNorm1d n => [n.Weight, n.Bias],
                _ => [],
            };
            foreach (var parameter in affine)
            {
                if (parameter is not null)
                {
                    parameter.CopyFrom(Tensor.Randn(parameter.Shape, seed: seed++, device: parameter.Device));
                }
            }
        }
        return model;
    }

    // Runs a few training batches so the running statistics move away from 0 and 1, then randomizes the affine.
    private static Sequential Trained(Sequential model, int[] sample)
    {
        using (Autograd.NoGrad())
        {
            for (ulong step = 0; step < 4; step++)
            {
                var x = Tensor.Randn([16, .. sample], seed: 90 + step, device: DeviceOf(model)) * 2f + 0.5f;
                model.Forward(x);
            }
        }
        return WithRandomAffine(model);
    }
}
