namespace MicrogradPlus;

/// <summary>
/// One recorded op in the autograd graph: its inputs and the rule that turns the output's gradient into the inputs'
/// gradients. Rules are written with tensor ops, so running them with grad mode on builds a graph of the backward
/// pass itself (higher-order gradients).
/// </summary>
internal sealed class Node(string op, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
{
    private Func<Tensor, Tensor?[]>? _backward = backward;

    public string Op { get; } = op;

    public Tensor[] Inputs { get; private set; } = inputs;

    /// <summary>The gradients for each input (null where an input needs none).</summary>
    public Tensor?[] Apply(Tensor gradOutput)
    {
        var rule = _backward ?? throw new InvalidOperationException(
            $"backward through '{Op}' a second time: the graph was freed after the first Backward(); " +
            "pass retainGraph: true to keep it");
        return rule(gradOutput);
    }

    /// <summary>Drops the rule and with it every tensor the rule captured (what the op saved for backward).</summary>
    public void Release()
    {
        _backward = null;
        Inputs = [];
    }
}
