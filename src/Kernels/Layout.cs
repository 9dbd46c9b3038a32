namespace MicrogradPlus.Kernels;

/// <summary>
/// Maps a row-major linear index over a shape of rank ≤ 6 to an element offset through per-dimension strides.
/// Dimensions are right-aligned: unused leading slots have size 1 and stride 0. A broadcast dimension has stride 0.
/// Kernel parameters must be unmanaged structs, so the six dimensions are plain fields.
/// </summary>
internal struct Layout
{
    /// <summary>The highest rank a layout holds.</summary>
    public const int MaxRank = 6;

    /// <summary>Offset of element 0.</summary>
    public int Offset;
    /// <summary>How many of the six dimensions are in use (the innermost ones).</summary>
    public int Rank;
    /// <summary>Sizes, outermost first.</summary>
    public int D0, D1, D2, D3, D4, D5;
    /// <summary>Strides in elements, outermost first.</summary>
    public int S0, S1, S2, S3, S4, S5;

    /// <summary>The offset of the element at row-major position <paramref name="linear"/>.</summary>
    /// <remarks>
    /// Only the <see cref="Rank"/> used dimensions are decoded, innermost first, and the outermost needs no modulo:
    /// a rank-2 view costs one div/mod pair, not six (integer division dominates strided kernels on the CPU).
    /// </remarks>
    public readonly int OffsetOf(int linear)
    {
        if (Rank <= 1)
        {
            return Offset + linear * S5;
        }
        int q = linear;
        int offset = Offset + (q % D5) * S5;
        q /= D5;
        if (Rank == 2)
        {
            return offset + q * S4;
        }
        offset += (q % D4) * S4;
        q /= D4;
        if (Rank == 3)
        {
            return offset + q * S3;
        }
        offset += (q % D3) * S3;
        q /= D3;
        if (Rank == 4)
        {
            return offset + q * S2;
        }
        offset += (q % D2) * S2;
        q /= D2;
        if (Rank == 5)
        {
            return offset + q * S1;
        }
        offset += (q % D1) * S1;
        q /= D1;
        return offset + q * S0;
    }

    /// <summary>
    /// The same layout with as few dimensions as possible: size-1 dimensions dropped and each dimension merged into
    /// the next where the two walk memory as one (stride = next size × next stride), so a contiguous block of any
    /// rank becomes rank 1 and <see cref="OffsetOf"/> needs no division. Valid wherever the layout is only read
    /// through <see cref="OffsetOf"/>: the linear index → offset map does not change.
    /// </summary>
    public static Layout Coalesced(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, int offset)
    {
        if (shape.Length != strides.Length)
        {
            throw new ArgumentException($"shape has rank {shape.Length} but strides have {strides.Length} entries");
        }
        Span<int> d = stackalloc int[shape.Length];
        Span<int> s = stackalloc int[shape.Length];
        int rank = 0;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == 0)
            {
                return Create(shape, strides, offset); // empty: nothing to walk
            }
            if (shape[i] == 1)
            {
                continue;
            }
            if (rank > 0 && s[rank - 1] == shape[i] * strides[i])
            {
                d[rank - 1] *= shape[i];
                s[rank - 1] = strides[i];
                continue;
            }
            d[rank] = shape[i];
            s[rank] = strides[i];
            rank++;
        }
        return Create(d[..rank], s[..rank], offset);
    }

    /// <summary>Builds a layout from a shape and its strides (same length, at most <see cref="MaxRank"/>).</summary>
    public static Layout Create(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, int offset)
    {
        if (shape.Length != strides.Length)
        {
            throw new ArgumentException($"shape has rank {shape.Length} but strides have {strides.Length} entries");
        }
        if (shape.Length > MaxRank)
        {
            throw new ArgumentException($"rank {shape.Length} exceeds the kernels' maximum rank {MaxRank}");
        }
        Span<int> d = [1, 1, 1, 1, 1, 1];
        Span<int> s = [0, 0, 0, 0, 0, 0];
        int pad = MaxRank - shape.Length;
        for (int i = 0; i < shape.Length; i++)
        {
            d[pad + i] = Math.Max(shape[i], 1);
            s[pad + i] = strides[i];
        }
        return new Layout
        {
            Offset = offset,
            Rank = shape.Length,
            D0 = d[0], D1 = d[1], D2 = d[2], D3 = d[3], D4 = d[4], D5 = d[5],
            S0 = s[0], S1 = s[1], S2 = s[2], S3 = s[3], S4 = s[4], S5 = s[5],
        };
    }
}
