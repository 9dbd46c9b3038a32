using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MicrogradPlus.Nn;
using Xunit;

namespace MicrogradPlus.Tests.Nn;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// Onnx.Export against ONNX Runtime: every exported layer and activation, run by ORT on random batches of 1 and 7
/// rows, gives the library's own forward (evaluation mode). The newer layers and activations (wide inputs, branch
/// points) are in OnnxExportTests.Layers.cs.
/// </summary>
public partial class OnnxExportTests
{
    // ORT's float32 kernels sum and evaluate erf/tanh/exp in another order and with other approximations than the
    // library's; a value that cancels to near 0 keeps only an absolute agreement.
    private const float Rtol = 1e-5f;
    private const float Atol = 1e-6f;

    public static TheoryData<string> Models => [.. Builders.Keys];

    private static readonly Dictionary<string, Func<Module>> Builders = new()
    {
        ["linear"] = () => new Linear(5, 3, seed: 1),
        ["linear without bias"] = () => new Linear(5, 3, bias: false, seed: 2),
        ["relu"] = () => Block(new Relu()),
        ["tanh"] = () => Block(new Tanh()),
        ["sigmoid"] = () => Block(new Sigmoid()),
        ["gelu"] = () => Block(new Gelu()),
        ["silu"] = () => Block(new Silu()),
        ["leaky relu 0.2"] = () => Block(new LeakyRelu(0.2f)),
        ["dropout"] = () => Block(new Dropout(0.4f)),
        ["identity"] = () => Block(new Identity()),
        ["gelu tanh"] = () => Block(new Gelu("tanh")),
        ["softplus"] = () => Block(new Softplus()),
        ["elu"] = () => Block(new Elu()),
        ["selu"] = () => Block(new Selu()),
        ["hardswish"] = () => Block(new Hardswish()),
        ["hardsigmoid"] = () => Block(new Hardsigmoid()),
        ["hardtanh"] = () => Block(new Hardtanh()),
        ["relu6"] = () => Block(new Relu6()),
        ["mish"] = () => Block(new Mish()),
        ["logsigmoid"] = () => Block(new LogSigmoid()),
        ["softsign"] = () => Block(new Softsign()),
        ["mlp relu"] = () => new Mlp(5, [8, 6], 3, Activation.Relu, seed: 4),
        ["mlp gelu"] = () => new Mlp(5, [8], 3, Activation.Gelu, seed: 5),
        ["mlp tanh"] = () => new Mlp(5, [8], 3, Activation.Tanh, seed: 6),
        ["mlp sigmoid"] = () => new Mlp(5, [8], 3, Activation.Sigmoid, seed: 7),
        ["mlp leaky relu"] = () => new Mlp(5, [8], 3, Activation.LeakyRelu, seed: 8),
        ["mlp silu"] = () => new Mlp(5, [8], 3, Activation.Silu, seed: 9),
        ["nested sequential"] = () => new Sequential(new Sequential(new Linear(5, 4, seed: 10), new Tanh()),
            new Mlp(4, [6], 3, seed: 11)),
        ["no layers"] = () => new Sequential(),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Onnx_runtime_matches_forward_for_batches_of_1_and_7(string name)
    {
        using var tensors = Tensor.Scope();
        using var model = Builders[name]();
        string path = TempPath();
        try
        {
            Onnx.Export(model, [1, 5], path);
            Assert.True(model.Training, "Export restores training mode");
            using var session = new InferenceSession(path);
            Assert.Equal("batch", session.InputMetadata["input"].SymbolicDimensions[0]);
            foreach (int batch in new[] { 1, 7 })
            {
                var x = Tensor.Randn([batch, 5], seed: (ulong)(100 + batch), device: DeviceOf(model));
                Compare(name, batch, Forward(model, x), Run(session, x.ToArray(), [batch, 5]));
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Rank_three_input_exports_linear_as_matmul()
    {
        using var tensors = Tensor.Scope();
        using var model = new Sequential(new Linear(5, 4, seed: 12), new Gelu(), new Linear(4, 2, seed: 13));
        string path = TempPath();
        try
        {
            Onnx.Export(model, [2, 3, 5], path);
            using var session = new InferenceSession(path);
            foreach (int batch in new[] { 1, 7 })
            {
                var x = Tensor.Randn([batch, 3, 5], seed: 7, device: DeviceOf(model));
                Compare("rank 3", batch, Forward(model, x), Run(session, x.ToArray(), [batch, 3, 5]));
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_file_is_opset_17_with_state_dict_names()
    {
        using var tensors = Tensor.Scope();
        using var model = new Mlp(5, [8], 3, seed: 3);
        var proto = MicrogradPlus.OnnxProto.ModelProto.Parser.ParseFrom(Onnx.ToBytes(model, [4, 5]));
        Assert.Equal(17, proto.OpsetImport.Single().Version);
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], proto.Graph.Initializer.Select(i => i.Name));
        Assert.Equal(["Gemm", "Relu", "Gemm"], proto.Graph.Node.Select(n => n.OpType));
        Assert.Equal("output", proto.Graph.Node[^1].Output[0]);
    }

    [Fact]
    public void Unsupported_layers_and_shapes_are_refused_with_the_reason()
    {
        using var tensors = Tensor.Scope();
        using var model = new Sequential(new Linear(5, 3, seed: 1), new Doubler());
        var e = Assert.Throws<NotSupportedException>(() => Onnx.ToBytes(model, [1, 5]));
        Assert.Contains("no rule for Doubler (at '1')", e.Message, StringComparison.Ordinal);
        Assert.Contains("Linear", e.Message, StringComparison.Ordinal);
        var shape = Assert.Throws<ArgumentException>(() => Onnx.ToBytes(model, [5]));
        Assert.Contains("[5]", shape.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Readme_serving_snippet_runs()
    {
        using var tensors = Tensor.Scope();
        using var model = new Mlp(64, [32], 10, seed: 21);
        string path = TempPath();
        try
        {
            Onnx.Export(model, [1, 64], path);
            float[] features = Tensor.Rand([64], seed: 5, device: Device.Cpu).ToArray();
            // README.md, "Serving with ONNX Runtime" (the file name aside):
            using var session = new InferenceSession(path);
            var input = new DenseTensor<float>(features, [1, 64]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", input)]);
            float[] logits = results[0].AsEnumerable<float>().ToArray();
            int digit = Array.IndexOf(logits, logits.Max());

            var ours = Forward(model, Tensor.FromArray(features, [1, 64], DeviceOf(model)));
            Compare("readme", 1, ours, logits);
            Assert.Equal(Array.IndexOf(ours, ours.Max()), digit);
        }
        finally
        {
            File.Delete(path);
        }
    }

    // Models are built on Device.Default (the OpenCL device in the PoCL chroot): export reads them from there.
    private static Device DeviceOf(Module model) => model.Parameters().FirstOrDefault()?.Device ?? Device.Cpu;

    private static Sequential Block(Module activation) =>
        new(new Linear(5, 6, seed: 31), activation, new Linear(6, 3, seed: 32));

    private static float[] Forward(Module model, Tensor x)
    {
        model.Eval();
        try
        {
            using (Autograd.NoGrad())
            {
                return model.Forward(x).ToArray();
            }
        }
        finally
        {
            model.Train();
        }
    }

    private static float[] Run(InferenceSession session, float[] data, int[] shape)
    {
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(data, shape))]);
        return results[0].AsEnumerable<float>().ToArray();
    }

    private static void Compare(string name, int batch, float[] want, float[] got)
    {
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++)
        {
            Assert.True(Math.Abs(want[i] - got[i]) <= Atol + Rtol * Math.Abs(want[i]),
                $"{name}, batch {batch}, element {i}: forward {want[i]:R}, ONNX Runtime {got[i]:R}");
        }
    }

    private static string TempPath() => Path.Combine(Path.GetTempPath(), $"export-{Guid.NewGuid():N}.onnx");

    private sealed class Doubler : Module
    {
        public override Tensor Forward(Tensor input) => input * 2f;
    }
}
