using Google.Protobuf;
using MicrogradPlus.OnnxProto;

namespace MicrogradPlus.Nn;

/// <summary>
/// Writes a model as an ONNX file that ONNX Runtime (and ML.NET, Windows ML, TensorRT, …) can serve: opset 17,
/// float32, a dynamic batch dimension. The file is an ONNX <c>ModelProto</c> serialized by Google.Protobuf from the
/// ONNX schema (src/Tensor/Onnx/onnx.proto3).
/// </summary>
/// <remarks>
/// Exported layers: <see cref="Sequential"/> and <see cref="Mlp"/> (their children in order), <see cref="Linear"/>
/// (Gemm with transB for 2-D input, else MatMul and Add), <see cref="LayerNorm"/> (LayerNormalization),
/// <see cref="BatchNorm1d"/> (BatchNormalization with the running statistics, for [N, C] and [N, C, L]; batch
/// statistics composed when none are tracked), <see cref="Flatten"/> (Flatten, or Reshape for other ranges; not
/// across the batch dimension), <see cref="Identity"/> and <see cref="Dropout"/> (the identity, as in evaluation
/// mode), and the activations <see cref="Relu"/>, <see cref="Tanh"/>, <see cref="Sigmoid"/>, <see cref="LeakyRelu"/>,
/// <see cref="Silu"/> (x·Sigmoid(x)), <see cref="Gelu"/> (x·(1 + Erf(x/√2))/2, or its tanh form composed),
/// <see cref="Softplus"/> (Where(βx &gt; threshold, x, Softplus(βx)/β)), <see cref="Elu"/>, <see cref="Selu"/>,
/// <see cref="Hardswish"/>, <see cref="Hardsigmoid"/>, <see cref="Hardtanh"/> and <see cref="Relu6"/> (Clip),
/// <see cref="Mish"/> (x·Tanh(Softplus(x))), <see cref="LogSigmoid"/> (min(x, 0) − Log(1 + Exp(−|x|))) and
/// <see cref="Softsign"/>; and <see cref="Embedding"/> (Gather on the weight) as the first layer, when the file's
/// input is Int32 indices instead of float32 features. Any other layer throws <see cref="NotSupportedException"/> naming it. Parameters and running
/// statistics become initializers under their state-dict names ("0.weight", "1.running_mean"); the graph's input is
/// "input" and its output "output".
/// </remarks>
public static class Onnx
{
    /// <summary>The ONNX operator set the exported graphs use.</summary>
    public const int OpsetVersion = 17;

    /// <summary>The ONNX IR version written (IR 8 goes with opset 17).</summary>
    public const int IrVersion = 8;

    /// <summary>
    /// Exports <paramref name="model"/> (in evaluation mode) to <paramref name="path"/>. <paramref name="inputShape"/>
    /// is the shape of one input batch, batch first, e.g. [1, 64]; the batch dimension is written as the symbolic
    /// "batch", so the file accepts any batch size. The model is run once on zeros of that shape to check it and to
    /// find the output shape. The file is written next to the target and renamed over it.
    /// </summary>
    /// <param name="model">The model to export: a Sequential or Mlp of the supported layers (see the class remarks).</param>
    /// <param name="inputShape">The shape of one input batch, batch first, e.g. [1, 64].</param>
    /// <param name="path">The .onnx file to write (replaced if it exists).</param>
    public static void Export(Module model, int[] inputShape, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        AtomicFile.Write(path, ToBytes(model, inputShape));
    }

    /// <summary>The ONNX file's bytes for <paramref name="model"/> (see <see cref="Export"/>).</summary>
    /// <param name="model">The model to export: a Sequential or Mlp of the supported layers (see the class remarks).</param>
    /// <param name="inputShape">The shape of one input batch, batch first, e.g. [1, 64].</param>
    /// <returns>The serialized ONNX ModelProto (opset 17).</returns>
    public static byte[] ToBytes(Module model, int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputShape);
        if (inputShape.Length < 2 || inputShape.Any(d => d <= 0))
        {
            throw new ArgumentException(
                $"ONNX export needs an input shape with a batch dimension and at least one feature dimension, all " +
                $"positive; got [{string.Join(", ", inputShape)}]", nameof(inputShape));
        }
        foreach (var (name, parameter) in model.NamedParameters())
        {
            if (parameter.DType != DType.Float32)
            {
                throw new NotSupportedException(
                    $"ONNX export writes float32 models; parameter '{name}' is {parameter.DType}");
            }
        }
        bool training = model.Training;
        model.Eval();
        try
        {
            // A model that starts with an Embedding takes Int32 indices; every other one float32 features.
            bool indices = FirstLayer(model) is Embedding;
            var graph = new GraphProto { Name = model.GetType().Name };
            graph.Input.Add(Value("input", inputShape,
                indices ? TensorProto.Types.DataType.Int32 : TensorProto.Types.DataType.Float));
            var builder = new OnnxGraphBuilder(graph, inputShape.Length);
            // The graph first, so a layer without an export rule is named before the trial run can trip over it.
            string result = OnnxLayers.Export(model, "", builder, "input");
            int[] outputShape = OutputShape(model, inputShape, indices ? DType.Int32 : DType.Float32);
            if (builder.Rank != outputShape.Length)
            {
                throw new InvalidOperationException(
                    $"ONNX export of {model.GetType().Name}: the graph ends at rank {builder.Rank} but the model's " +
                    $"output has shape ({string.Join(", ", outputShape)})");
            }
            builder.NameOutput(result, "output");
            graph.Output.Add(Value("output", outputShape, TensorProto.Types.DataType.Float));
            var proto = new ModelProto
            {
                IrVersion = IrVersion,
                ProducerName = "MicrogradPlus",
                ProducerVersion = typeof(Onnx).Assembly.GetName().Version?.ToString() ?? "0",
                Graph = graph,
            };
            proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OpsetVersion });
            return proto.ToByteArray();
        }
        finally
        {
            model.Train(training);
        }
    }

    private static int[] OutputShape(Module model, int[] inputShape, DType dtype)
    {
        var device = model.Parameters().FirstOrDefault()?.Device ?? Device.Cpu;
        using var noGrad = Autograd.NoGrad();
        using var scope = Tensor.Scope();
        return model.Forward(Tensor.Zeros(inputShape, device, dtype)).Shape;
    }

    // The first layer that does the work: containers (Sequential, Mlp) stand for their first child.
    private static Module FirstLayer(Module model)
    {
        var layer = model;
        while (layer is Sequential or Mlp && layer.NamedChildren().FirstOrDefault().Value is { } first)
        {
            layer = first;
        }
        return layer;
    }

    // A tensor value whose first dimension is the symbolic batch size.
    private static ValueInfoProto Value(string name, int[] shape, TensorProto.Types.DataType type)
    {
        var tensorShape = new TensorShapeProto();
        tensorShape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        foreach (int d in shape.Skip(1))
        {
            tensorShape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto
            {
                TensorType = new TypeProto.Types.Tensor
                {
                    ElemType = (int)type, Shape = tensorShape,
                },
            },
        };
    }
}
