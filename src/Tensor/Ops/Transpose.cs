using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// A view with dimensions <paramref name="axis0"/> and <paramref name="axis1"/> swapped (negative axes count from
    /// the end), like torch.transpose. No data is copied.
    /// </summary>
    /// <remarks>
    /// y[…i…j…] = x[…j…i…]. The gradient is transposed back: ∂L/∂x = (∂L/∂y) with the same two axes swapped.
    /// </remarks>
    /// <param name="axis0">One dimension; negative counts from the end.</param>
    /// <param name="axis1">The other dimension; negative counts from the end.</param>
    /// <returns>A view of this tensor's memory with the two dimensions swapped.</returns>
    public Tensor Transpose(int axis0, int axis1)
    {
        int a = Shapes.NormalizeAxis(axis0, Rank);
        int b = Shapes.NormalizeAxis(axis1, Rank);
        var shape = (int[])_shape.Clone();
        var strides = (int[])Strides.Clone();
        if (Rank > 0)
        {
            (shape[a], shape[b]) = (shape[b], shape[a]);
            (strides[a], strides[b]) = (strides[b], strides[a]);
        }
        var result = View(shape, strides, Offset);
        return Record(result, "transpose", [this], g => [g.Transpose(a, b)], Saves.Nothing);
    }

    /// <summary>
    /// The matrix transpose of a tensor of rank ≤ 2 (torch's <c>.T</c>): rank 2 swaps the two dimensions, ranks 0
    /// and 1 give a view of the tensor unchanged. A view; no data is copied.
    /// </summary>
    /// <remarks>
    /// Yᵢⱼ = Xⱼᵢ. PyTorch deprecates <c>.T</c> on other ranks (it reverses every dimension there), so rank &gt; 2
    /// throws here: use <see cref="Permute"/> or <see cref="Transpose(int, int)"/> to say which axes move.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The tensor has more than two dimensions.</exception>
    public Tensor T
    {
        get
        {
            if (Rank > 2)
            {
                throw new InvalidOperationException(
                    $"T needs a tensor of rank 0, 1 or 2, got rank {Rank} (shape {Shapes.Format(_shape)}); " +
                    "use Permute(...) to reverse every dimension or Transpose(-2, -1) to transpose the last two");
            }
            return Rank == 2 ? Transpose(0, 1) : Transpose(0, 0);
        }
    }
}
