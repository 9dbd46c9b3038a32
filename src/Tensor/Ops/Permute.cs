using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// A view with the dimensions reordered: dimension i of the result is dimension <paramref name="dims"/>[i] of this
    /// tensor (negative entries count from the end), like torch.permute. No data is copied.
    /// </summary>
    /// <remarks>
    /// y.shape[i] = x.shape[p[i]]. The gradient is permuted back with the inverse permutation q (q[p[i]] = i):
    /// ∂L/∂x = (∂L/∂y).Permute(q).
    /// </remarks>
    /// <param name="dims">A permutation of 0..rank−1 (negative entries count from the end).</param>
    /// <returns>A view of this tensor's memory with the dimensions reordered.</returns>
    /// <exception cref="ArgumentException">
    /// <paramref name="dims"/> is not a permutation of the tensor's axes (wrong count or an axis repeated).
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException">An entry is outside −rank..rank−1.</exception>
    public Tensor Permute(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Length != Rank)
        {
            throw new ArgumentException(
                $"permute of a tensor of shape {Shapes.Format(_shape)} (rank {Rank}) needs {Rank} axes, " +
                $"got {dims.Length}: [{string.Join(", ", dims)}]", nameof(dims));
        }
        var order = new int[Rank];
        var inverse = new int[Rank];
        var seen = new bool[Rank];
        for (int i = 0; i < Rank; i++)
        {
            int axis = Shapes.NormalizeAxis(dims[i], Rank);
            if (seen[axis])
            {
                throw new ArgumentException(
                    $"permute axes [{string.Join(", ", dims)}] name axis {axis} twice; " +
                    $"each of 0..{Rank - 1} must appear once (shape {Shapes.Format(_shape)})", nameof(dims));
            }
            seen[axis] = true;
            order[i] = axis;
            inverse[axis] = i;
        }
        var shape = new int[Rank];
        var strides = new int[Rank];
        for (int i = 0; i < Rank; i++)
        {
            shape[i] = _shape[order[i]];
            strides[i] = Strides[order[i]];
        }
        var result = View(shape, strides, Offset);
        return Record(result, "permute", [this], g => [g.Permute(inverse)], Saves.Nothing);
    }
}
