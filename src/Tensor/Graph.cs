using System.Globalization;
using System.Text;
using MicrogradPlus.Backends;

namespace MicrogradPlus;

/// <summary>
/// Draws the autograd graph behind a tensor, like micrograd's <c>draw_dot</c>: one box per tensor (name, shape,
/// dtype when not float32, "param" for a leaf that requires grad, "leaf" for other leaves) and one oval per recorded
/// op, with edges input → op → output. Ids are given breadth-first from the root (t0 is the root, op0 its op), so the
/// same expression always gives the same text. Render DOT with Graphviz (<c>dot -Tsvg</c>); Mermaid renders in
/// Markdown viewers. Draw before <c>Backward()</c>: backward frees the graph unless asked to retain it.
/// </summary>
public static class Graph
{
    private const int ShownValues = 6;

    /// <summary>
    /// The graph as Graphviz DOT. <paramref name="names"/> labels chosen tensors (compared by reference);
    /// <paramref name="values"/> adds up to six values of each tensor (copies them to the host).
    /// </summary>
    /// <param name="root">The tensor whose graph to draw, usually a loss.</param>
    /// <param name="names">Labels for chosen tensors, or null.</param>
    /// <param name="values">Show up to six values of each tensor.</param>
    /// <returns>A <c>digraph</c> for Graphviz (<c>dot -Tpng</c>).</returns>
    public static string ToDot(Tensor root, IReadOnlyDictionary<Tensor, string>? names = null, bool values = false)
    {
        var walk = Walk(root);
        var text = new StringBuilder("digraph autograd {\n");
        text.Append("    rankdir=LR;\n    node [fontname=\"Helvetica\", fontsize=10];\n");
        foreach (var (tensor, id) in walk.Tensors)
        {
            var fields = Describe(tensor, Name(names, tensor), values).Select(EscapeRecord);
            text.Append(CultureInfo.InvariantCulture,
                $"    {id} [shape=record, label=\"{{ {string.Join(" | ", fields)} }}\"];\n");
        }
        foreach (var (op, id) in walk.Ops)
        {
            text.Append(CultureInfo.InvariantCulture, $"    {id} [shape=ellipse, label=\"{EscapeQuoted(op)}\"];\n");
        }
        foreach (var (from, to) in walk.Edges)
        {
            text.Append(CultureInfo.InvariantCulture, $"    {from} -> {to};\n");
        }
        return text.Append("}\n").ToString();
    }

    /// <summary>The graph as a Mermaid flowchart (same nodes, edges and options as <see cref="ToDot"/>).</summary>
    /// <param name="root">The tensor whose graph to draw, usually a loss.</param>
    /// <param name="names">Labels for chosen tensors, or null.</param>
    /// <param name="values">Show up to six values of each tensor.</param>
    /// <returns>A Mermaid <c>flowchart</c>.</returns>
    public static string ToMermaid(Tensor root, IReadOnlyDictionary<Tensor, string>? names = null, bool values = false)
    {
        var walk = Walk(root);
        var text = new StringBuilder("flowchart LR\n");
        foreach (var (tensor, id) in walk.Tensors)
        {
            var fields = Describe(tensor, Name(names, tensor), values).Select(EscapeMermaid);
            text.Append(CultureInfo.InvariantCulture, $"    {id}[\"{string.Join("<br/>", fields)}\"]\n");
        }
        foreach (var (op, id) in walk.Ops)
        {
            text.Append(CultureInfo.InvariantCulture, $"    {id}([\"{EscapeMermaid(op)}\"])\n");
        }
        foreach (var (from, to) in walk.Edges)
        {
            text.Append(CultureInfo.InvariantCulture, $"    {from} --> {to}\n");
        }
        return text.ToString();
    }

    /// <summary>Breadth-first from the root: every tensor once, one op per tensor that has a GradFn.</summary>
    private static GraphWalk Walk(Tensor root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var ids = new Dictionary<Tensor, string>(ReferenceEqualityComparer.Instance);
        var walk = new GraphWalk([], [], []);
        var queue = new Queue<Tensor>();
        string Visit(Tensor tensor)
        {
            if (!ids.TryGetValue(tensor, out string? id))
            {
                id = "t" + ids.Count.ToString(CultureInfo.InvariantCulture);
                ids.Add(tensor, id);
                walk.Tensors.Add((tensor, id));
                queue.Enqueue(tensor);
            }
            return id;
        }
        Visit(root);
        while (queue.Count > 0)
        {
            var tensor = queue.Dequeue();
            if (tensor.GradFn is not { } node)
            {
                continue;
            }
            string opId = "op" + walk.Ops.Count.ToString(CultureInfo.InvariantCulture);
            walk.Ops.Add((node.Op, opId));
            foreach (var input in node.Inputs)
            {
                walk.Edges.Add((Visit(input), opId));
            }
            walk.Edges.Add((opId, ids[tensor]));
        }
        return walk;
    }

    private static List<string> Describe(Tensor tensor, string? name, bool values)
    {
        var fields = new List<string>();
        if (name is not null)
        {
            fields.Add(name);
        }
        fields.Add(Shapes.Format(tensor.ShapeRef));
        if (tensor.IsDisposed)
        {
            fields.Add("disposed");
            return fields;
        }
        if (tensor.DType != DType.Float32)
        {
            fields.Add(tensor.DType.ToString().ToLowerInvariant());
        }
        if (tensor.IsLeaf)
        {
            fields.Add(tensor.RequiresGrad ? "param" : "leaf");
        }
        if (values)
        {
            var data = tensor.ToDoubleArray();
            var shown = data.Take(ShownValues).Select(v => v.ToString("0.####", CultureInfo.InvariantCulture));
            fields.Add("data " + string.Join(" ", shown) + (data.Length > ShownValues ? " …" : ""));
            if (tensor.Grad is { IsDisposed: false } grad)
            {
                var g = grad.ToDoubleArray().Take(ShownValues)
                    .Select(v => v.ToString("0.####", CultureInfo.InvariantCulture));
                fields.Add("grad " + string.Join(" ", g) + (grad.Size > ShownValues ? " …" : ""));
            }
        }
        return fields;
    }

    private static string? Name(IReadOnlyDictionary<Tensor, string>? names, Tensor tensor)
    {
        if (names is null)
        {
            return null;
        }
        foreach (var (key, value) in names)
        {
            if (ReferenceEquals(key, tensor))
            {
                return value;
            }
        }
        return null;
    }

    /// <summary>Inside a DOT record label, braces, bars and angle brackets are structure: backslash them.</summary>
    private static string EscapeRecord(string text)
    {
        var escaped = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (c is '{' or '}' or '|' or '<' or '>' or '"' or '\\')
            {
                escaped.Append('\\');
            }
            escaped.Append(c is '\n' or '\r' ? ' ' : c);
        }
        return escaped.ToString();
    }

    private static string EscapeQuoted(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace('\n', ' ').Replace('\r', ' ');

    /// <summary>Mermaid labels take entity codes: # first, then quotes and angle brackets.</summary>
    private static string EscapeMermaid(string text) =>
        text.Replace("#", "#35;", StringComparison.Ordinal).Replace("\"", "#quot;", StringComparison.Ordinal)
            .Replace("<", "#lt;", StringComparison.Ordinal).Replace(">", "#gt;", StringComparison.Ordinal)
            .Replace('\n', ' ').Replace('\r', ' ');

    private sealed record GraphWalk(
        List<(Tensor Tensor, string Id)> Tensors,
        List<(string Op, string Id)> Ops,
        List<(string From, string To)> Edges);
}
