using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// This tensor tiled <paramref name="times"/>[d] times along each dimension, like torch.Tensor.repeat: one count
    /// per dimension, and extra leading counts add leading dimensions. A new contiguous tensor.
    /// </summary>
    /// <remarks>
    /// y[…, tᵢ·sᵢ + j, …] = x[…, j, …]. Built as Reshape (a size-1 dimension before each), Expand (stretched to the
    /// counts) and Reshape (merged): the gradient sums the copies, ∂L/∂x = Σ over the tiles of ∂L/∂y.
    /// </remarks>
    /// <param name="times">Non-negative copy counts, one per dimension at least; extra leading counts add
    /// dimensions.</param>
    /// <returns>A new contiguous tensor, each dimension's size multiplied by its count.</returns>
    /// <exception cref="ArgumentException">Fewer counts than dimensions, or a negative count.</exception>
    public Tensor Repeat(params int[] times)
    {
        ArgumentNullException.ThrowIfNull(times);
        if (times.Length < Rank || times.Any(t => t < 0))
        {
            throw new ArgumentException(
                $"Repeat: [{string.Join(", ", times)}] must give a non-negative count for each of the {Rank} " +
                $"dimensions of {Shapes.Format(_shape)} (extra leading counts add dimensions)", nameof(times));
        }
        int lead = times.Length - Rank;
        var split = new int[2 * times.Length];
        var spread = new int[2 * times.Length];
        var merged = new int[times.Length];
        for (int d = 0; d < times.Length; d++)
        {
            int size = d < lead ? 1 : _shape[d - lead];
            (split[2 * d], split[2 * d + 1]) = (1, size);
            (spread[2 * d], spread[2 * d + 1]) = (times[d], size);
            merged[d] = times[d] * size;
        }
        return Reshape(split).Expand(spread).Reshape(merged);
    }
}
