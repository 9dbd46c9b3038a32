using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// Views of consecutive pieces of <paramref name="size"/> elements along <paramref name="axis"/> (the last one
    /// smaller when the size does not divide the axis), like torch.split(x, size, axis).
    /// </summary>
    /// <remarks>Each piece is a <see cref="Slice(int, int, int)"/>; its gradient goes back to its place.</remarks>
    /// <param name="size">The length of each piece along the axis (positive).</param>
    /// <param name="axis">The axis to split (default 0); negative counts from the end.</param>
    /// <returns>The pieces in order, views of this tensor's memory.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The size is not positive, or the axis is out of range.</exception>
    public Tensor[] Split(int size, int axis = 0)
    {
        int a = IndexAxis(axis, "Split");
        if (size <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), $"Split: the piece size must be positive, got {size}");
        }
        int n = _shape[a];
        if (n == 0)
        {
            return [Slice(a, 0, 0)];
        }
        var pieces = new Tensor[(n + size - 1) / size];
        for (int i = 0; i < pieces.Length; i++)
        {
            pieces[i] = Slice(a, i * size, Math.Min(n, (i + 1) * size));
        }
        return pieces;
    }

    /// <summary>
    /// At most <paramref name="chunks"/> views along <paramref name="axis"/>, like torch.chunk: pieces of
    /// ⌈n / chunks⌉ elements (so fewer pieces when that covers the axis sooner).
    /// </summary>
    /// <remarks>Each piece is a <see cref="Slice(int, int, int)"/>; its gradient goes back to its place.</remarks>
    /// <param name="chunks">The largest number of pieces wanted (positive).</param>
    /// <param name="axis">The axis to split (default 0); negative counts from the end.</param>
    /// <returns>The pieces in order, views of this tensor's memory.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The count is not positive, or the axis is out of range.</exception>
    public Tensor[] Chunk(int chunks, int axis = 0)
    {
        int a = IndexAxis(axis, "Chunk");
        if (chunks <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(chunks), $"Chunk: the count must be positive, got {chunks}");
        }
        int n = _shape[a];
        return Split(Math.Max(1, (n + chunks - 1) / chunks), a);
    }
}
