using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// The same elements in another shape (one dimension may be −1: inferred). A view when the data is contiguous,
    /// otherwise a copy, as in PyTorch.
    /// </summary>
    /// <remarks>The gradient is reshaped back.</remarks>
    /// <param name="shape">The new sizes, with the same element count; one may be −1 (inferred).</param>
    /// <returns>A tensor of <paramref name="shape"/>: a view when possible, else a copy.</returns>
    public Tensor Reshape(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        int[] target = InferShape(shape);
        using var dense = Materialize();
        var result = dense.View(target, Shapes.ContiguousStrides(target), dense.Offset);
        int[] original = _shape;
        return Record(result, "reshape", [this], g => [g.Reshape(original)], Saves.Nothing);
    }

    private int[] InferShape(int[] shape)
    {
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1)
            {
                if (inferred >= 0)
                {
                    throw new ArgumentException($"reshape to {Shapes.Format(shape)}: only one dimension can be -1");
                }
                inferred = i;
            }
            else if (shape[i] < 0)
            {
                throw new ArgumentException($"reshape to {Shapes.Format(shape)}: invalid dimension {shape[i]}");
            }
            else
            {
                known *= shape[i];
            }
        }
        var result = (int[])shape.Clone();
        if (inferred >= 0)
        {
            if (known == 0 || Size % known != 0)
            {
                throw new ArgumentException(
                    $"cannot reshape {Shapes.Format(_shape)} ({Size} elements) to {Shapes.Format(shape)}");
            }
            result[inferred] = (int)(Size / known);
        }
        else if (known != Size)
        {
            throw new ArgumentException(
                $"cannot reshape {Shapes.Format(_shape)} ({Size} elements) to {Shapes.Format(shape)} ({known})");
        }
        return result;
    }
}
