namespace MicrogradPlus.Nn;

// The normalization and reshaping layers: LayerNorm, BatchNorm1d (evaluation mode) and Flatten.
internal static partial class OnnxLayers
{
    // LayerNormalization over the trailing dimensions of the normalized shape (axis = −len(normalizedShape)). Its
    // scale input is required: a layer without elementwise affine gets ones.
    private static string LayerNorm(Module module, string path, OnnxGraphBuilder graph, string input)
    {
        var layer = (LayerNorm)module;
        string prefix = path.Length == 0 ? "" : path + ".";
        int[] shape = layer.NormalizedShape;
        string scale = layer.Weight is { } weight
            ? graph.Initializer(prefix + "weight", weight)
            : graph.Initializer(prefix + "unit_scale", Ones(shape.Aggregate(1, (a, b) => a * b)), shape);
        string[] inputs = layer.Bias is { } bias
            ? [input, scale, graph.Initializer(prefix + "bias", bias)]
            : [input, scale];
        return graph.Node("LayerNormalization", inputs,
            OnnxGraphBuilder.Attribute("axis", (long)-shape.Length), OnnxGraphBuilder.Attribute("epsilon", layer.Eps));
    }

    // Evaluation mode: BatchNormalization with the running statistics (channels on axis 1, for [N, C] and
    // [N, C, L] alike). A layer that tracks no running statistics normalizes with the batch's own, as its Forward
    // does, composed from ReduceMean over N (and L).
    private static string BatchNorm1d(Module module, string path, OnnxGraphBuilder graph, string input)
    {
        var layer = (BatchNorm1d)module;
        string prefix = path.Length == 0 ? "" : path + ".";
        int c = layer.Features;
        if (layer.RunningMean is { } runningMean)
        {
            string scale = layer.Weight is { } w
                ? graph.Initializer(prefix + "weight", w)
                : graph.Initializer(prefix + "unit_scale", Ones(c), [c]);
            string shift = layer.Bias is { } b
                ? graph.Initializer(prefix + "bias", b)
                : graph.Initializer(prefix + "zero_shift", new float[c], [c]);
            return graph.Node("BatchNormalization",
                [input, scale, shift, graph.Initializer(prefix + "running_mean", runningMean),
                    graph.Initializer(prefix + "running_var", layer.RunningVar!)],
                OnnxGraphBuilder.Attribute("epsilon", layer.Eps));
        }
        long[] axes = graph.Rank == 2 ? [0] : [0, 2];
        var mean = graph.Node("ReduceMean", [input], OnnxGraphBuilder.Attribute("axes", axes),
            OnnxGraphBuilder.Attribute("keepdims", 1L));
        var centered = graph.Node("Sub", [input, mean]);
        var variance = graph.Node("ReduceMean", [graph.Node("Mul", [centered, centered])],
            OnnxGraphBuilder.Attribute("axes", axes), OnnxGraphBuilder.Attribute("keepdims", 1L));
        var y = graph.Node("Mul", [centered,
            graph.Node("Pow", [graph.Node("Add", [variance, graph.Constant(layer.Eps)]), graph.Constant(-0.5f)])]);
        if (layer.Weight is { } weight)
        {
            // [C] broadcasts against [N, C] as it is, against [N, C, L] as [C, 1].
            int[] dims = graph.Rank == 2 ? [c] : [c, 1];
            y = graph.Node("Add", [
                graph.Node("Mul", [y, graph.Initializer(prefix + "weight", weight.ToArray(), dims)]),
                graph.Initializer(prefix + "bias", layer.Bias!.ToArray(), dims)]);
        }
        return y;
    }

    // Merges dimensions start..end. The default (1..last) is the Flatten operator; any other range is a Reshape to
    // [0, …, 0, −1, the dimensions after end] (0 copies a leading dimension, the batch's included), the trailing sizes
    // read by a Shape node. Merging the batch dimension itself is refused: the file's batch dimension is dynamic.
    private static string Flatten(Module module, string path, OnnxGraphBuilder graph, string input)
    {
        var layer = (Flatten)module;
        int rank = graph.Rank;
        int start = layer.StartDim < 0 ? layer.StartDim + rank : layer.StartDim;
        int end = layer.EndDim < 0 ? layer.EndDim + rank : layer.EndDim;
        if (start == 0)
        {
            throw new NotSupportedException(
                $"ONNX export: Flatten(start_dim={layer.StartDim}, end_dim={layer.EndDim}) at '{path}' merges the " +
                "batch dimension, which the exported file keeps dynamic");
        }
        if (start >= end)
        {
            return input;
        }
        graph.Rank = rank - (end - start);
        if (start == 1 && end == rank - 1)
        {
            return graph.Node("Flatten", [input], OnnxGraphBuilder.Attribute("axis", 1L));
        }
        var head = new long[start + 1];
        head[start] = -1;
        string shape = graph.Int64Constant(head);
        if (end < rank - 1)
        {
            var tail = graph.Node("Shape", [input], OnnxGraphBuilder.Attribute("start", (long)(end + 1)));
            shape = graph.Node("Concat", [shape, tail], OnnxGraphBuilder.Attribute("axis", 0L));
        }
        return graph.Node("Reshape", [input, shape]);
    }

    private static float[] Ones(int count)
    {
        var ones = new float[count];
        Array.Fill(ones, 1f);
        return ones;
    }
}
