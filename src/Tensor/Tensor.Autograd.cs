using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// Accumulates d(this)/d(leaf) into the <see cref="Grad"/> of every leaf that requires grad. Without
    /// <paramref name="gradient"/> this tensor must hold one element. The graph is freed afterwards unless
    /// <paramref name="retainGraph"/>; <paramref name="createGraph"/> records the backward pass so the gradients
    /// can be differentiated again.
    /// </summary>
    /// <param name="gradient">∂L/∂this for some scalar L, of this tensor's shape; null means 1, allowed only for a one-element tensor.</param>
    /// <param name="retainGraph">Keep what the ops saved for backward, so that backward may run through the graph again.</param>
    /// <param name="createGraph">Record the backward pass itself, for higher-order gradients (implies <paramref name="retainGraph"/>).</param>
    /// <exception cref="InvalidOperationException">No <paramref name="gradient"/> for a tensor of more than one element, or the graph was already freed.</exception>
    /// <example>
    /// <code>
    /// var w = Tensor.FromArray([0.5f, -1f], [2], Device.Cpu, requiresGrad: true);
    /// var loss = (w * w).Sum();
    /// loss.Backward();                      // w.Grad = 2w = [1, -2]
    /// var v = w * 3f;                       // two elements: say how much each counts
    /// v.Backward(Tensor.Ones([2], Device.Cpu)); // w.Grad += 3 → [4, 1]
    /// </code>
    /// </example>
    public void Backward(Tensor? gradient = null, bool retainGraph = false, bool createGraph = false)
    {
        var grads = Autograd.Run(this, gradient, createGraph, retainGraph || createGraph);
        var uses = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
        foreach (var grad in grads.Values)
        {
            uses[grad] = uses.GetValueOrDefault(grad) + 1;
        }
        foreach (var (tensor, grad) in grads)
        {
            if (!tensor.IsLeaf || !tensor.RequiresGrad)
            {
                continue;
            }
            if (tensor.Grad is null)
            {
                // The gradient itself where the leaf may take it over, else a copy (with createGraph, in the graph).
                tensor.SetGrad(createGraph ? grad + 0f
                    : LeafMayTakeOver(grad, uses[grad], gradient) ? grad : grad.Clone());
            }
            else if (createGraph || tensor.Grad.GradFn is not null)
            {
                var old = tensor.Grad;
                tensor.SetGrad(old + grad);
                old.Dispose();
            }
            else
            {
                tensor.Grad.AccumulateInPlace(grad);
            }
        }
    }

    /// <summary>Backward with an explicit gradient for a tensor of any shape.</summary>
    /// <param name="gradient">∂L/∂this for some scalar L, of this tensor's shape.</param>
    public void Backward(Tensor gradient) => Backward(gradient, false, false);

    /// <summary>
    /// Whether a leaf may keep <paramref name="grad"/> itself as its gradient rather than a copy: only when nothing
    /// else can see it — computed by backward for this leaf alone (x + y hands both leaves one tensor, counted in
    /// <paramref name="uses"/>), not the caller's <paramref name="callerGradient"/>, outside any graph, and alone in
    /// memory of its own (a view shares it; the constant seed belongs to the device).
    /// </summary>
    private static bool LeafMayTakeOver(Tensor grad, int uses, Tensor? callerGradient) =>
        uses == 1 && !ReferenceEquals(grad, callerGradient) && grad.GradFn is null && grad.IsContiguous &&
        grad.Offset == 0 && !grad.Storage.IsShared && !grad.Storage.IsConstant;

    /// <summary>
    /// Attaches the backward rule of an op to its freshly computed <paramref name="result"/> when grad mode is on
    /// and any input requires grad — the one place where the graph grows.
    /// </summary>
    /// <remarks>
    /// Backward rules run under <see cref="Autograd.NoGrad"/> unless a graph of the backward pass is being built
    /// (createGraph), so inside a rule <see cref="Autograd.IsGradEnabled"/> is true exactly then. A rule written with
    /// tensor ops needs no care; a fused backward kernel, which records nothing, must fall back to differentiable ops
    /// when it is true, as CrossEntropy and Mse do. <paramref name="saves"/> names the tensors whose values the rule
    /// reads; backward checks those for in-place writes. Declare less than the default only when the rule provably
    /// reads less: an undeclared tensor written in place would feed the rule its new values without a word.
    /// </remarks>
    internal static Tensor Record(Tensor result, string op, Tensor[] inputs, Func<Tensor, Tensor?[]> backward,
        Saves saves = Saves.InputsAndOutput)
    {
        // An integer result (indices) is never differentiable, whatever produced it.
        if (Autograd.IsGradEnabled && result.DType != DType.Int32 && Array.Exists(inputs, t => t.RequiresGrad))
        {
            result._requiresGrad = true;
            result.GradFn = new Node(op, inputs, result, backward, saves)
            {
                CreationSite = Autograd.IsAnomalyDetectionEnabled ? Autograd.CallerSite() : null,
            };
        }
        return result;
    }

    /// <summary>this += other, in this tensor's own memory (same shape, both contiguous); for gradient buffers.</summary>
    private void AccumulateInPlace(Tensor other)
    {
        if (!other.ShapeRef.AsSpan().SequenceEqual(_shape) || !IsContiguous)
        {
            throw new InvalidOperationException(
                $"gradient of shape {Shapes.Format(other.ShapeRef)} cannot accumulate into {Shapes.Format(_shape)}");
        }
        CheckCompatible(this, other, "gradient accumulation");
        if (Overlaps(this, other))
        {
            using var copy = other.Clone();
            ZipInto<AddOp>(this, copy, this);
        }
        else
        {
            ZipInto<AddOp>(this, other, this);
        }
        Storage.BumpVersion();
    }
}
