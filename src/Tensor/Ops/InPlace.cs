using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// Overwrites this tensor's elements with <paramref name="source"/>'s (broadcast to this shape), in this tensor's
    /// own memory, like PyTorch's <c>copy_</c>: the way to update a parameter without allocating a new one, e.g.
    /// <code>using (Autograd.NoGrad()) { w.CopyFrom(w - lr * w.Grad!); }</code>
    /// Not recorded in the graph. Both tensors must be on the same device with the same dtype. Returns this tensor.
    /// </summary>
    /// <remarks>
    /// this[i] = source[i]. Writing into a tensor that requires grad is only allowed under
    /// <see cref="Autograd.NoGrad"/>, as in PyTorch: with grad mode on, the graph would silently see changed values.
    /// </remarks>
    public Tensor CopyFrom(Tensor source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (RequiresGrad && Autograd.IsGradEnabled)
        {
            throw new InvalidOperationException(
                $"CopyFrom into a tensor of shape {Shapes.Format(_shape)} that requires grad: an in-place write " +
                "would change values the graph relies on; do it inside Autograd.NoGrad()");
        }
        if (!Shapes.BroadcastsTo(source._shape, _shape))
        {
            throw new ArgumentException(
                $"CopyFrom: a source of shape {Shapes.Format(source._shape)} does not broadcast to this tensor's " +
                $"shape {Shapes.Format(_shape)}",
                nameof(source));
        }
        for (int i = 0; i < Rank; i++)
        {
            if (Strides[i] == 0 && _shape[i] > 1)
            {
                throw new InvalidOperationException(
                    $"CopyFrom into an expanded view of shape {Shapes.Format(_shape)}: several elements share memory " +
                    $"(dimension {i} has stride 0); write into the tensor it was expanded from");
            }
        }
        CheckCompatible(this, source, "CopyFrom");
        // Expand builds (and bounds-checks) a new view: only needed when the source broadcasts.
        bool sameShape = source._shape.AsSpan().SequenceEqual(_shape);
        CopyInto(source, this, expand: !sameShape);
        return this;
    }
}
