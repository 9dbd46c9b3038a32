using System.Text.RegularExpressions;
using Xunit;

namespace MicrogradPlus.Tests.Tensor;

using Tensor = MicrogradPlus.Tensor;

public partial class GraphTests
{
    [Fact]
    public void Dot_has_one_node_per_tensor_and_op_and_edges_through_ops()
    {
        using var tensors = Tensor.Scope();
        var a = Tensor.FromArray([1f, 2f, 3f], [3], Device.Cpu, requiresGrad: true);
        var b = Tensor.FromArray([4f, 5f, 6f], [3], Device.Cpu, requiresGrad: true);
        var loss = (a * b + a).Sum();

        string dot = Graph.ToDot(loss, new Dictionary<Tensor, string> { [a] = "a", [b] = "b", [loss] = "loss" });

        // Tensors: loss, a·b + a, a·b, a, b. Ops: sum, add, mul. Edges: sum 1 in + 1 out, add 2 + 1, mul 2 + 1.
        var tensorNodes = TensorNode().Matches(dot);
        var opNodes = OpNode().Matches(dot);
        var edges = Edge().Matches(dot);
        Assert.Equal(5, tensorNodes.Count);
        Assert.Equal(3, opNodes.Count);
        Assert.Equal(8, edges.Count);
        Assert.Equal(["sum", "add", "mul"], opNodes.Select(m => m.Groups[2].Value));

        // Valid DOT basics: a digraph, balanced braces, every edge between declared nodes, root and its op first.
        Assert.StartsWith("digraph autograd {", dot, StringComparison.Ordinal);
        Assert.EndsWith("}\n", dot, StringComparison.Ordinal);
        Assert.Equal(dot.Count(c => c == '{'), dot.Count(c => c == '}'));
        var declared = tensorNodes.Select(m => m.Groups[1].Value).Concat(opNodes.Select(m => m.Groups[1].Value))
            .ToHashSet();
        Assert.All(edges, e => Assert.Contains(e.Groups[1].Value, declared));
        Assert.All(edges, e => Assert.Contains(e.Groups[2].Value, declared));
        Assert.Contains("t0 [shape=record, label=\"{ loss | () }\"];", dot, StringComparison.Ordinal);
        Assert.Contains("op0 -> t0;", dot, StringComparison.Ordinal);
        Assert.Contains("label=\"{ a | (3,) | param }\"", dot, StringComparison.Ordinal);
        Assert.Contains("label=\"{ b | (3,) | param }\"", dot, StringComparison.Ordinal);
        // Tensors feed ops and ops feed tensors: never tensor → tensor or op → op.
        Assert.All(edges, e => Assert.NotEqual(e.Groups[1].Value[0], e.Groups[2].Value[0]));

        Assert.Equal(dot, Graph.ToDot(loss, new Dictionary<Tensor, string> { [a] = "a", [b] = "b", [loss] = "loss" }));
    }

    [Fact]
    public void Mermaid_has_the_same_nodes_and_edges()
    {
        using var tensors = Tensor.Scope();
        var x = Tensor.FromArray([1.0, 2.0], [2], Device.Cpu, requiresGrad: true);
        var c = Tensor.FromArray([3.0, 4.0], [2], Device.Cpu);
        var y = (x * c).Exp().Sum();

        string mermaid = Graph.ToMermaid(y, values: true);

        Assert.StartsWith("flowchart LR\n", mermaid, StringComparison.Ordinal);
        var lines = mermaid.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        Assert.Equal(5, lines.Count(l => l.TrimStart().StartsWith('t') && l.Contains("[\"", StringComparison.Ordinal)));
        Assert.Equal(3, lines.Count(l => l.Contains("([\"", StringComparison.Ordinal)));
        Assert.Equal(7, lines.Count(l => l.Contains(" --> ", StringComparison.Ordinal)));
        Assert.Contains("float64", mermaid, StringComparison.Ordinal);
        Assert.Contains("param", mermaid, StringComparison.Ordinal);
        Assert.Contains("leaf", mermaid, StringComparison.Ordinal);
        Assert.Contains("data 3 8", mermaid, StringComparison.Ordinal);
    }

    [Fact]
    public void Labels_are_escaped()
    {
        using var tensors = Tensor.Scope();
        var x = Tensor.FromArray([1f], [1], Device.Cpu, requiresGrad: true);
        var y = x * x;
        var names = new Dictionary<Tensor, string> { [x] = "w{1}|<in>\"q\"#" };

        string dot = Graph.ToDot(y, names);
        Assert.Contains("w\\{1\\}\\|\\<in\\>\\\"q\\\"#", dot, StringComparison.Ordinal);
        // x * x uses x twice: one tensor node, two edges into mul.
        Assert.Equal(2, Edge().Matches(dot).Count(m => m.Groups[2].Value == "op0" && m.Groups[1].Value == "t1"));

        string mermaid = Graph.ToMermaid(y, names);
        Assert.Contains("w{1}|#lt;in#gt;#quot;q#quot;#35;", mermaid, StringComparison.Ordinal);
    }

    [Fact]
    public void A_leaf_alone_is_one_node()
    {
        using var tensors = Tensor.Scope();
        var x = Tensor.Ones([2, 2], Device.Cpu);
        string dot = Graph.ToDot(x);
        Assert.Single(TensorNode().Matches(dot));
        Assert.Empty(Edge().Matches(dot));
        Assert.Contains("(2, 2) | leaf", dot, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^\s*(t\d+) \[shape=record, label=""(.*)""\];$", RegexOptions.Multiline)]
    private static partial Regex TensorNode();

    [GeneratedRegex(@"^\s*(op\d+) \[shape=ellipse, label=""(.*)""\];$", RegexOptions.Multiline)]
    private static partial Regex OpNode();

    [GeneratedRegex(@"^\s*(\w+) -> (\w+);$", RegexOptions.Multiline)]
    private static partial Regex Edge();
}
