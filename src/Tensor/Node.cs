namespace MicrogradPlus;

/// <summary>
/// One recorded op in the autograd graph: its inputs and the rule that turns the output's gradient into the inputs'
/// gradients. Rules are written with tensor ops, so running them with grad mode on builds a graph of the backward
/// pass itself (higher-order gradients).
/// </summary>
/// <remarks>
/// The node notes the version (<see cref="Storage.Version"/>) of the memory of every tensor its rule reads — what
/// PyTorch calls the op's saved tensors, declared by the op (<see cref="Saves"/>). Backward refuses to run the rule
/// once any of them was written in place since, as PyTorch does, rather than compute gradients from the new values.
/// A rule that reads no values (add, sum, views) saves nothing, so writing into its input or output is no error.
/// </remarks>
internal sealed class Node
{
    private Func<Tensor, Tensor?[]>? _backward;
    private Saved[] _saved;

    public Node(string op, Tensor[] inputs, Tensor output, Func<Tensor, Tensor?[]> backward, Saves saves)
    {
        Op = op;
        Inputs = inputs;
        _backward = backward;
        int count = (saves.HasFlag(Saves.Inputs) ? inputs.Length : 0) + (saves.HasFlag(Saves.Output) ? 1 : 0);
        _saved = count == 0 ? [] : new Saved[count];
        int next = 0;
        if (saves.HasFlag(Saves.Inputs))
        {
            for (int i = 0; i < inputs.Length; i++)
            {
                _saved[next++] = new Saved(inputs[i], i);
            }
        }
        if (saves.HasFlag(Saves.Output))
        {
            _saved[next] = new Saved(output, Saved.Output);
        }
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
                throw new InvalidOperationException(
                    "one of the variables needed for gradient computation has been modified by an inplace " +
                    $"operation: [{saved.DType.ToString().ToLowerInvariant()} tensor of shape " +
                    $"[{string.Join(", ", saved.Shape)}]], which is {saved.Role} of '{Op}', is at version {now}; " +
                    $"expected version {saved.Version} instead. Hint: it (or a view of its memory) was written in " +
                    "place (CopyFrom, an optimizer step, …) after the op ran; write into a Clone() instead, or run the " +
                    "op again after the write");
            }
        }
    }

    /// <summary>
    /// A tensor's memory and its version when the op ran (memory, not the tensor: it may be disposed), and which of
    /// the op's tensors it is (an input's index, or <see cref="Output"/>), named only if the check fails.
    /// </summary>
    private readonly struct Saved(Tensor tensor, int index)
    {
        public const int Output = -1;

        public string Role => index == Output ? "output 0" : $"input {index}";
        public Storage Storage { get; } = tensor.Storage;
        public int Version { get; } = tensor.Storage.Version;
        public int[] Shape { get; } = tensor.ShapeRef;
        public DType DType { get; } = tensor.DType;
    }
}

/// <summary>
/// Which tensors an op's backward rule reads the values of (PyTorch's saved tensors): the ones backward checks for
/// in-place writes since the op ran. Shapes, dtypes and <see cref="Tensor.RequiresGrad"/> are not values.
/// </summary>
[Flags]
internal enum Saves
{
    /// <summary>The rule needs only the incoming gradient (add, sum, reshape and the other views).</summary>
    Nothing = 0,

    /// <summary>The rule reads its inputs (mul, matmul, log).</summary>
    Inputs = 1,

    /// <summary>The rule reads the op's result (exp, tanh, softmax).</summary>
    Output = 2,

    /// <summary>Both; what an op that declares nothing is taken to save.</summary>
    InputsAndOutput = Inputs | Output,
}
