namespace MicrogradPlus.Nn;

/// <summary>
/// How each layer type becomes ONNX nodes: one entry per type, given the layer, its dotted path in the model (the
/// prefix of its state-dict names, used for its initializers), the graph being built and the name of its input
/// value; it returns the name of its output value. Supporting a new layer is one entry here and one row in the ONNX
/// tests. Everything is exported as in evaluation mode. The activations' entries are in OnnxLayers.Activations.cs,
/// the normalization and reshaping layers' in OnnxLayers.Normalization.cs.
/// </summary>
internal static partial class OnnxLayers
{
    /// <summary>One layer's export: (layer, path, graph, input value) → output value.</summary>
    public delegate string Exporter(Module layer, string path, OnnxGraphBuilder graph, string input);

    /// <summary>The exported layer types.</summary>
    public static IReadOnlyDictionary<Type, Exporter> Table { get; } = new Dictionary<Type, Exporter>
    {
        [typeof(Sequential)] = Children,
        [typeof(Mlp)] = Children,
        [typeof(Linear)] = Linear,
        [typeof(Identity)] = (_, _, _, x) => x,
        // Dropout is the identity in evaluation mode.
        [typeof(Dropout)] = (_, _, _, x) => x,
        [typeof(Flatten)] = Flatten,
        [typeof(Embedding)] = Embedding,
        [typeof(LayerNorm)] = LayerNorm,
        [typeof(BatchNorm1d)] = BatchNorm1d,
        [typeof(Relu)] = (_, _, g, x) => g.Node("Relu", [x]),
        [typeof(Tanh)] = (_, _, g, x) => g.Node("Tanh", [x]),
        [typeof(Sigmoid)] = (_, _, g, x) => g.Node("Sigmoid", [x]),
        [typeof(LeakyRelu)] = (m, _, g, x) =>
            g.Node("LeakyRelu", [x], OnnxGraphBuilder.Attribute("alpha", ((LeakyRelu)m).NegativeSlope)),
        // x·σ(x): opset 17 has no SiLU operator.
        [typeof(Silu)] = (_, _, g, x) => g.Node("Mul", [x, g.Node("Sigmoid", [x])]),
        [typeof(Gelu)] = Gelu,
        [typeof(Softplus)] = Softplus,
        [typeof(Elu)] = (m, _, g, x) => g.Node("Elu", [x], OnnxGraphBuilder.Attribute("alpha", ((Elu)m).Alpha)),
        [typeof(Selu)] = Selu,
        [typeof(Hardswish)] = (_, _, g, x) => g.Node("HardSwish", [x]),
        [typeof(Hardsigmoid)] = (_, _, g, x) => g.Node("HardSigmoid", [x],
            OnnxGraphBuilder.Attribute("alpha", 1f / 6f), OnnxGraphBuilder.Attribute("beta", 0.5f)),
        [typeof(Hardtanh)] = (m, _, g, x) =>
            g.Node("Clip", [x, g.Constant(((Hardtanh)m).MinValue), g.Constant(((Hardtanh)m).MaxValue)]),
        [typeof(Relu6)] = (_, _, g, x) => g.Node("Clip", [x, g.Constant(0f), g.Constant(6f)]),
        // x·tanh(softplus(x)): the Mish operator only arrived with opset 18.
        [typeof(Mish)] = (_, _, g, x) => g.Node("Mul", [x, g.Node("Tanh", [g.Node("Softplus", [x])])]),
        [typeof(LogSigmoid)] = LogSigmoid,
        [typeof(Softsign)] = (_, _, g, x) => g.Node("Softsign", [x]),
    };

    /// <summary>Chains the children in registration order (the Forward of Sequential and Mlp).</summary>
    public static string Children(Module container, string path, OnnxGraphBuilder graph, string input)
    {
        string x = input;
        foreach (var (name, child) in container.NamedChildren())
        {
            x = Export(child, path.Length == 0 ? name : $"{path}.{name}", graph, x);
        }
        return x;
    }

    /// <summary>Exports <paramref name="layer"/> with its table entry.</summary>
    public static string Export(Module layer, string path, OnnxGraphBuilder graph, string input)
    {
        if (!Table.TryGetValue(layer.GetType(), out var exporter))
        {
            throw new NotSupportedException(
                $"ONNX export has no rule for {layer.GetType().Name} (at '{path}'); exported layers: " +
                string.Join(", ", Table.Keys.Select(t => t.Name).Order(StringComparer.Ordinal)));
        }
        return exporter(layer, path, graph, input);
    }

    // y[…, :] = W[index[…], :]: Gather on the weight. The indices are the graph's (Int32) input, so an Embedding
    // has to come first.
    private static string Embedding(Module module, string path, OnnxGraphBuilder graph, string input)
    {
        if (input != "input")
        {
            throw new NotSupportedException(
                $"ONNX export: Embedding at '{path}' must be the model's first layer (its indices are the file's input)");
        }
        var layer = (Embedding)module;
        string weight = graph.Initializer(path.Length == 0 ? "weight" : path + ".weight", layer.Weight);
        graph.Rank++;
        return graph.Node("Gather", [weight, input], OnnxGraphBuilder.Attribute("axis", 0L));
    }

    // y = x·Wᵀ + b: Gemm for a batch of vectors (as torch.onnx exports nn.Linear), MatMul against Wᵀ otherwise.
    private static string Linear(Module module, string path, OnnxGraphBuilder graph, string input)
    {
        var layer = (Linear)module;
        string prefix = path.Length == 0 ? "" : path + ".";
        if (graph.Rank == 2)
        {
            string weight = graph.Initializer(prefix + "weight", layer.Weight);
            return layer.Bias is { } bias
                ? graph.Node("Gemm", [input, weight, graph.Initializer(prefix + "bias", bias)],
                    OnnxGraphBuilder.Attribute("transB", 1L))
                : graph.Node("Gemm", [input, weight], OnnxGraphBuilder.Attribute("transB", 1L));
        }
        using var detached = layer.Weight.Detach();
        using var transposed = detached.Transpose(0, 1);
        string product = graph.Node("MatMul", [input, graph.Initializer(prefix + "weight_t", transposed)]);
        return layer.Bias is { } b ? graph.Node("Add", [product, graph.Initializer(prefix + "bias", b)]) : product;
    }
}
