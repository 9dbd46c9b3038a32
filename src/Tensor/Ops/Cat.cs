using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// The tensors joined along <paramref name="axis"/> (negative counts from the end) into a new contiguous
    /// tensor, like torch.cat. All must have the same rank (at least 1), device and dtype, and equal sizes in
    /// every other dimension.
    /// </summary>
    /// <remarks>
    /// y = [x₀; x₁; …] along the axis. The gradient is cut back into pieces: ∂L/∂xᵢ = (∂L/∂y).Slice(axis, oᵢ,
    /// oᵢ + nᵢ), where oᵢ is the sum of the earlier inputs' sizes along the axis and nᵢ is xᵢ's.
    /// </remarks>
    /// <param name="tensors">The tensors to join, in order; at least one.</param>
    /// <param name="axis">The axis to join along (default 0); negative counts from the end.</param>
    /// <returns>A new contiguous tensor whose size along the axis is the sum of the inputs' sizes.</returns>
    /// <exception cref="ArgumentException">
    /// No tensors, a zero-dimensional tensor, different ranks, other dimensions that differ (both shapes are named),
    /// different devices or dtypes.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is outside −rank..rank−1.</exception>
    public static Tensor Cat(Tensor[] tensors, int axis = 0)
    {
        CheckJoinInputs(tensors, "cat");
        var first = tensors[0];
        if (first.Rank == 0)
        {
            throw new ArgumentException(
                "cat: zero-dimensional tensors cannot be concatenated; Unsqueeze(0) them or use Tensor.Stack",
                nameof(tensors));
        }
        int a = Shapes.NormalizeAxis(axis, first.Rank);
        var shape = (int[])first._shape.Clone();
        shape[a] = 0;
        var starts = new int[tensors.Length];
        for (int i = 0; i < tensors.Length; i++)
        {
            var t = tensors[i];
            bool fits = t.Rank == first.Rank;
            for (int d = 0; fits && d < first.Rank; d++)
            {
                fits = d == a || t._shape[d] == first._shape[d];
            }
            if (!fits)
            {
                throw new ArgumentException(
                    $"cat along axis {axis}: tensor {i} of shape {Shapes.Format(t._shape)} does not fit tensor 0 of " +
                    $"shape {Shapes.Format(first._shape)} (ranks and all sizes except axis {a} must match)",
                    nameof(tensors));
            }
            starts[i] = shape[a];
            shape[a] += t._shape[a];
        }
        var result = Empty(shape, first.DType, first.Device);
        Concat(tensors, a, result);
        var inputs = (Tensor[])tensors.Clone();
        return Record(result, "cat", inputs, g =>
        {
            var grads = new Tensor?[inputs.Length];
            for (int i = 0; i < inputs.Length; i++)
            {
                // An input may appear twice (Cat([x, x])): each position gets its own piece; autograd sums them.
                grads[i] = inputs[i].RequiresGrad ? g.Slice(a, starts[i], starts[i] + inputs[i]._shape[a]) : null;
            }
            return grads;
        }, Saves.Nothing);
    }

    /// <summary>Checks what Cat and Stack share: at least one tensor, none null, one device, one dtype.</summary>
    private static void CheckJoinInputs(Tensor[] tensors, string opName)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0)
        {
            throw new ArgumentException($"{opName} needs at least one tensor, got none", nameof(tensors));
        }
        for (int i = 0; i < tensors.Length; i++)
        {
            if (tensors[i] is null)
            {
                throw new ArgumentNullException(nameof(tensors), $"{opName}: tensor {i} is null");
            }
            CheckCompatible(tensors[0], tensors[i], opName);
        }
    }
}
