namespace MicrogradPlus;

/// <summary>
/// One recorded op in the autograd graph: its inputs and the rule that turns the output's gradient into the inputs'
/// gradients. Rules are written with tensor ops, so running them with grad mode on builds a graph of the backward
/// pass itself (higher-order gradients).
/// </summary>
/// <remarks>
/// The node notes the version (<see cref="Storage.Version"/>) of its inputs' and its output's memory when the op runs;
/// those are the tensors a rule may have saved. Backward refuses to run the rule once any of them was written in
/// place since, as PyTorch does, rather than compute gradients from the new values. This is stricter than PyTorch for
/// ops whose rule needs no values (add, views): they count as saving their inputs too.
/// </remarks>
internal sealed class Node
{
    private Func<Tensor, Tensor?[]>? _backward;
    private Saved[] _saved;

    public Node(string op, Tensor[] inputs, Tensor output, Func<Tensor, Tensor?[]> backward)
    {
        Op = op;
        Inputs = inputs;
        _backward = backward;
        _saved = new Saved[inputs.Length + 1];
        for (int i = 0; i < inputs.Length; i++)
        {
            _saved[i] = new Saved(inputs[i]);
        }
        _saved[^1] = new Saved(output);
    }

    public string Op { get; }

    public Tensor[] Inputs { get; private set; }

    /// <summary>Where the forward op was called from, when anomaly detection was on (null otherwise).</summary>
    public string? CreationSite { get; init; }

    /// <summary>The gradients for each input (null where an input needs none).</summary>
    /// <param name="gradOutput">The gradient of the loss with respect to this node's output.</param>
    /// <returns>One gradient per input, in the order of <see cref="Inputs"/>.</returns>
    public Tensor?[] Apply(Tensor gradOutput)
    {
        var rule = _backward ?? throw new InvalidOperationException(
            $"backward through '{Op}' a second time: the graph was freed after the first Backward(); " +
            "pass retainGraph: true to keep it");
        CheckVersions();
        return rule(gradOutput);
    }

    /// <summary>Drops the rule and with it every tensor the rule captured (what the op saved for backward).</summary>
    public void Release()
    {
        _backward = null;
        Inputs = [];
        _saved = [];
    }

    private void CheckVersions()
    {
        for (int i = 0; i < _saved.Length; i++)
        {
            var saved = _saved[i];
            int now = saved.Storage.Version;
            if (now != saved.Version)
            {
                string which = i == _saved.Length - 1 ? "the output" : $"input {i}";
                throw new InvalidOperationException(
                    "one of the variables needed for gradient computation has been modified by an inplace " +
                    $"operation: [{saved.DType.ToString().ToLowerInvariant()} tensor of shape " +
                    $"[{string.Join(", ", saved.Shape)}]], which is {which} of '{Op}', is at version {now}; expected " +
                    $"version {saved.Version} instead. Hint: it (or a view of its memory) was written in place " +
                    "(CopyFrom, an optimizer step, …) after the op ran; write into a Clone() instead, or run the op " +
                    "again after the write");
            }
        }
    }

    /// <summary>A tensor's memory and its version when the op ran (memory, not the tensor: it may be disposed).</summary>
    private readonly struct Saved(Tensor tensor)
    {
        public Storage Storage { get; } = tensor.Storage;
        public int Version { get; } = tensor.Storage.Version;
        public int[] Shape { get; } = tensor.ShapeRef;
        public DType DType { get; } = tensor.DType;
    }
}
