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
    /// A source that shares memory with this tensor (<c>x.Slice(0, 1, 6).CopyFrom(x.Slice(0, 0, 5))</c>,
    /// <c>x.CopyFrom(x.T)</c>) is read whole into a temporary first, so the result is as if the copy were
    /// instantaneous. The write raises the memory's version: backward through an op that saved this tensor (or any
    /// view of its memory) before the write then throws, as in PyTorch.
    /// </remarks>
    /// <param name="source">The values to copy; broadcasts to this tensor's shape, same device and dtype.</param>
    /// <returns>This tensor, for chaining.</returns>
    public Tensor CopyFrom(Tensor source)
    {
        ArgumentNullException.ThrowIfNull(source);
        RequireWritable();
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
        if (Overlaps(this, source))
        {
            if (!sameShape || source.Offset != Offset || !source.Strides.AsSpan().SequenceEqual(Strides))
            {
                // The kernel reads and writes in no set order: read every source element before any is overwritten.
                using var temporary = Empty(source._shape, source.DType, source.Device).CopyFrom(source);
                CopyInto(temporary, this, expand: !sameShape);
            }
        }
        else
        {
            CopyInto(source, this, expand: !sameShape);
        }
        Storage.BumpVersion();
        return this;
    }

    /// <summary>
    /// Refuses an in-place write into a tensor that requires grad while grad mode is on, as PyTorch does: the graph
    /// would silently see changed values.
    /// </summary>
    private void RequireWritable()
    {
        if (RequiresGrad && Autograd.IsGradEnabled)
        {
            throw new InvalidOperationException(
                $"CopyFrom into a tensor of shape {Shapes.Format(_shape)} that requires grad: an in-place write " +
                "would change values the graph relies on; do it inside Autograd.NoGrad()");
        }
    }

    /// <summary>
    /// Whether <paramref name="a"/> and <paramref name="b"/> may touch the same memory: one storage and intersecting
    /// element ranges (conservative: interleaved views that never share an element count too).
    /// </summary>
    internal static bool Overlaps(Tensor a, Tensor b)
    {
        if (!ReferenceEquals(a.Storage, b.Storage) || a.Size == 0 || b.Size == 0)
        {
            return false;
        }
        var (aFirst, aLast) = a.ElementRange();
        var (bFirst, bLast) = b.ElementRange();
        return aFirst <= bLast && bFirst <= aLast;
    }

    /// <summary>The lowest and highest element index of the memory this (non-empty) view reaches.</summary>
    private (long First, long Last) ElementRange()
    {
        long first = Offset, last = Offset;
        for (int d = 0; d < Rank; d++)
        {
            long reach = (long)Strides[d] * (_shape[d] - 1);
            if (reach < 0)
            {
                first += reach;
            }
            else
            {
                last += reach;
            }
        }
        return (first, last);
    }
}
