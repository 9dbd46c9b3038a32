using System.Globalization;
using Google.Protobuf;
using MicrogradPlus.OnnxProto;

namespace MicrogradPlus.Nn;

/// <summary>
/// Collects the nodes and initializers of one ONNX graph while <see cref="Onnx.Export"/> walks a model. Each layer's
/// entry in <see cref="OnnxLayers"/> reads the name of its input value, adds nodes, and returns the name of its output
/// value; <see cref="Rank"/> tracks the rank of the value flowing through (a layer that changes it sets it).
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly GraphProto _graph;
    private readonly Dictionary<float, string> _constants = [];
    private int _values;
    private int _int64Constants;

    public OnnxGraphBuilder(GraphProto graph, int rank)
    {
        _graph = graph;
        Rank = rank;
    }

    /// <summary>The rank of the current value (the batch dimension included).</summary>
    public int Rank { get; set; }

    /// <summary>Adds <paramref name="value"/> (float32) as an initializer named <paramref name="name"/>.</summary>
    public string Initializer(string name, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Initializer(name, value.ToArray(), value.Shape);
    }

    /// <summary>Adds float32 <paramref name="data"/> of shape <paramref name="dims"/> as an initializer.</summary>
    public string Initializer(string name, float[] data, int[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims.Select(d => (long)d));
        var bytes = new byte[data.Length * sizeof(float)];
        // raw_data is little-endian by definition.
        for (int i = 0; i < data.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), data[i]);
        }
        tensor.RawData = ByteString.CopyFrom(bytes);
        _graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>Adds int64 <paramref name="data"/> as a 1-D initializer (a Reshape's target shape).</summary>
    public string Int64Constant(long[] data)
    {
        string name = string.Create(CultureInfo.InvariantCulture, $"int64_constant_{_int64Constants++}");
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(data.Length);
        tensor.Int64Data.AddRange(data);
        _graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>A scalar float32 constant, shared by every node that needs the same value.</summary>
    public string Constant(float value)
    {
        if (!_constants.TryGetValue(value, out string? name))
        {
            name = Initializer(string.Create(CultureInfo.InvariantCulture, $"constant_{_constants.Count}"),
                [value], []);
            _constants[value] = name;
        }
        return name;
    }

    /// <summary>Adds a node of the default ONNX domain and returns the name of its (single) output.</summary>
    public string Node(string opType, string[] inputs, params AttributeProto[] attributes)
    {
        string output = string.Create(CultureInfo.InvariantCulture, $"{opType.ToLowerInvariant()}_{_values++}");
        var node = new NodeProto { OpType = opType, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return output;
    }

    /// <summary>Gives the graph's result the name <paramref name="output"/>.</summary>
    public void NameOutput(string result, string output)
    {
        var last = _graph.Node.Count > 0 ? _graph.Node[^1] : null;
        if (last is not null && last.Output[0] == result)
        {
            last.Output[0] = output;
        }
        else
        {
            // The model passes its input through unchanged (or ends on an earlier value): ONNX needs a node.
            var node = new NodeProto { OpType = "Identity", Name = output };
            node.Input.Add(result);
            node.Output.Add(output);
            _graph.Node.Add(node);
        }
    }

    /// <summary>An integer attribute.</summary>
    public static AttributeProto Attribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>A float attribute.</summary>
    public static AttributeProto Attribute(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>A list-of-integers attribute.</summary>
    public static AttributeProto Attribute(string name, long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }
}
