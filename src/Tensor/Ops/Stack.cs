using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// The tensors joined along a new dimension at <paramref name="axis"/> (in −rank−1..rank, negative counts from
    /// the end of the result), like torch.stack. All must have the same shape, device and dtype.
    /// </summary>
    /// <remarks>
    /// Stack(xs, axis) = Cat([x.Unsqueeze(axis) for x in xs], axis), so y[…, i, …] = xᵢ; the gradient of xᵢ is the
    /// i-th slice of ∂L/∂y along the new axis with that axis squeezed away (Cat's and Unsqueeze's rules).
    /// </remarks>
    /// <param name="tensors">The tensors to stack, in order; at least one, all of one shape.</param>
    /// <param name="axis">Where the new dimension goes (default 0).</param>
    /// <returns>A new contiguous tensor one rank higher, the new dimension of size tensors.Length.</returns>
    /// <exception cref="ArgumentException">
    /// No tensors, shapes that differ (both are named), different devices or dtypes.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is outside −rank−1..rank.</exception>
    public static Tensor Stack(Tensor[] tensors, int axis = 0)
    {
        CheckJoinInputs(tensors, "stack");
        var first = tensors[0];
        for (int i = 1; i < tensors.Length; i++)
        {
            if (!tensors[i]._shape.AsSpan().SequenceEqual(first._shape))
            {
                throw new ArgumentException(
                    $"stack needs tensors of equal shape: tensor {i} has shape {Shapes.Format(tensors[i]._shape)}, " +
                    $"tensor 0 has shape {Shapes.Format(first._shape)}", nameof(tensors));
            }
        }
        int a = NormalizeNewAxis(axis, first.Rank, "stack");
        var unsqueezed = Array.ConvertAll(tensors, t => t.Unsqueeze(a));
        var result = Cat(unsqueezed, a);
        if (result.GradFn is null)
        {
            // Outside the graph the views are not needed past the copy: give their references back now.
            foreach (var view in unsqueezed)
            {
                view.Dispose();
            }
        }
        return result;
    }
}
