namespace MicrogradPlus.Backends;

/// <summary>Shape arithmetic shared by the primitives and the tensor layer: sizes, strides, broadcasting, axes.</summary>
internal static class Shapes
{
    /// <summary>"(3, 4)"; "()" for a scalar.</summary>
    public static string Format(ReadOnlySpan<int> shape) =>
        shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape.ToArray()) + ")";

    /// <summary>The number of elements (1 for rank 0).</summary>
    public static int Size(ReadOnlySpan<int> shape)
    {
        long size = 1;
        foreach (int d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"shape {Format(shape)} has a negative dimension");
            }
            size *= d;
            if (size > int.MaxValue)
            {
                throw new ArgumentException($"shape {Format(shape)} has more than {int.MaxValue} elements");
            }
        }
        return (int)size;
    }

    /// <summary>Row-major strides of a contiguous tensor of this shape.</summary>
    public static int[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        if (shape.IsEmpty)
        {
            return []; // one shared empty array: strides are never written
        }
        var strides = new int[shape.Length];
        int stride = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = stride;
            stride *= Math.Max(shape[i], 1);
        }
        return strides;
    }

    /// <summary>NumPy's broadcast of two shapes; throws naming both when a dimension pair is neither equal nor 1.</summary>
    public static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
            {
                throw new ArgumentException(
                    $"shapes {Format(a)} and {Format(b)} cannot be broadcast together " +
                    $"(dimension {i - rank} is {da} against {db})");
            }
            result[i] = da == 1 ? db : da;
        }
        return result;
    }

    /// <summary>Whether <paramref name="from"/> broadcasts to exactly <paramref name="to"/>.</summary>
    public static bool BroadcastsTo(ReadOnlySpan<int> from, ReadOnlySpan<int> to)
    {
        if (from.Length > to.Length)
        {
            return false;
        }
        int pad = to.Length - from.Length;
        for (int i = 0; i < from.Length; i++)
        {
            if (from[i] != 1 && from[i] != to[pad + i])
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Whether elements lie in row-major order without gaps (size-1 dimensions' strides ignored).</summary>
    public static bool IsContiguous(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides)
    {
        if (shape.Contains(0))
        {
            return true; // no element to be out of order (PyTorch: an empty tensor is contiguous)
        }
        int expected = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            if (shape[i] != 1 && strides[i] != expected)
            {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    /// <summary>
    /// The strides of a view broadcast from <paramref name="shape"/> to <paramref name="target"/> (which it must
    /// broadcast to): new leading dimensions and stretched size-1 dimensions get stride 0, the others keep theirs.
    /// </summary>
    public static int[] ExpandedStrides(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, ReadOnlySpan<int> target)
    {
        if (!BroadcastsTo(shape, target))
        {
            throw new ArgumentException($"cannot expand shape {Format(shape)} to {Format(target)}");
        }
        int pad = target.Length - shape.Length;
        var result = new int[target.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            result[pad + i] = shape[i] == target[pad + i] ? strides[i] : 0;
        }
        return result;
    }

    /// <summary>
    /// One axis as a reduction's axis list: the normalized axis, or none for rank 0 (whose only "axis", 0 or −1,
    /// reduces nothing).
    /// </summary>
    public static int[] SingleAxis(int axis, int rank)
    {
        int a = NormalizeAxis(axis, rank);
        return rank == 0 ? [] : [a];
    }

    /// <summary>Maps a possibly negative axis into [0, rank); throws naming the axis and the rank.</summary>
    public static int NormalizeAxis(int axis, int rank)
    {
        int lo = rank == 0 ? -1 : -rank;
        int hi = rank == 0 ? 0 : rank - 1;
        if (axis < lo || axis > hi)
        {
            throw new ArgumentOutOfRangeException(nameof(axis),
                $"axis {axis} is out of range for a tensor of rank {rank} (expected {lo}..{hi})");
        }
        return axis < 0 ? axis + Math.Max(rank, 1) : axis;
    }

    /// <summary>Normalized, sorted, distinct-checked axes; null or empty means every axis.</summary>
    public static int[] NormalizeAxes(int[]? axes, int rank)
    {
        if (axes is null || axes.Length == 0)
        {
            return Enumerable.Range(0, rank).ToArray();
        }
        var result = axes.Select(a => NormalizeAxis(a, rank)).Order().ToArray();
        for (int i = 1; i < result.Length; i++)
        {
            if (result[i] == result[i - 1])
            {
                throw new ArgumentException(
                    $"axis {result[i]} appears twice in [{string.Join(", ", axes)}] (rank {rank})", nameof(axes));
            }
        }
        return result;
    }

    /// <summary>The shape of a reduction over <paramref name="axes"/> (already normalized).</summary>
    public static int[] Reduced(ReadOnlySpan<int> shape, int[] axes, bool keepDim)
    {
        var result = new List<int>(shape.Length);
        for (int i = 0; i < shape.Length; i++)
        {
            if (Array.IndexOf(axes, i) < 0)
            {
                result.Add(shape[i]);
            }
            else if (keepDim)
            {
                result.Add(1);
            }
        }
        return [.. result];
    }
}
