using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// A broadcast view of this tensor with <paramref name="shape"/> (size-1 dimensions stretched, new leading
    /// dimensions added; −1 keeps a size). No data is copied.
    /// </summary>
    /// <remarks>The gradient is summed back over the stretched dimensions.</remarks>
    /// <param name="shape">The target shape: each of this tensor's sizes, aligned from the right, equals the target's
    /// or is 1; −1 keeps a size.</param>
    /// <returns>A view of <paramref name="shape"/> sharing this tensor's memory.</returns>
    public Tensor Expand(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var target = (int[])shape.Clone();
        int pad = target.Length - Rank;
        for (int i = 0; i < target.Length; i++)
        {
            if (target[i] == -1)
            {
                if (i < pad)
                {
                    throw new ArgumentException($"expand to {Shapes.Format(shape)}: -1 is not allowed for a new dimension");
                }
                target[i] = _shape[i - pad];
            }
        }
        var strides = Shapes.ExpandedStrides(_shape, Strides, target);
        var result = View(target, strides, Offset);
        int[] original = _shape;
        return Record(result, "expand", [this], g => [SumToShape(g, original)], Saves.Nothing);
    }
}
