using System.Numerics;

namespace MicrogradPlus.Backends.Gemm;

/// <summary>
/// Copies blocks of A and B into the order the micro-kernel reads them, so its inner loop walks memory contiguously
/// whatever the operands' layout (row-major, transposed, or any strides): A into slivers of
/// <see cref="GemmMicroKernel.Rows"/> rows, B into panels two vectors wide, both zero-padded past the matrix edge so
/// edge tiles run the same kernel. Transposes cost nothing beyond the copy: each layout has its own read order.
/// </summary>
internal static class GemmPacking
{
    /// <summary>
    /// Rows [m0, m0 + rows) × depth [k0, k0 + depth) of A into <paramref name="packed"/> as
    /// [sliver][k][6]; rows past <paramref name="rows"/> up to the sliver edge are zeros.
    /// <paramref name="start"/> is element (0, 0) of this batch's A; <paramref name="rowStride"/> and
    /// <paramref name="colStride"/> step along m and k.
    /// </summary>
    public static void PackA<T>(ReadOnlySpan<T> a, int start, int rowStride, int colStride, int m0, int rows, int k0,
        int depth, Span<T> packed)
        where T : unmanaged, INumber<T>
    {
        const int mr = GemmMicroKernel.Rows;
        for (int s = 0, m = 0; m < rows; s++, m += mr)
        {
            int valid = Math.Min(mr, rows - m);
            var sliver = packed.Slice(s * depth * mr, depth * mr);
            if (valid < mr)
            {
                sliver.Clear();
            }
            int first = start + (m0 + m) * rowStride + k0 * colStride;
            if (rowStride == 1)
            {
                // Aᵀ stored row-major: the six rows of one k sit side by side.
                for (int k = 0; k < depth; k++)
                {
                    a.Slice(first + k * colStride, valid).CopyTo(sliver.Slice(k * mr, valid));
                }
            }
            else if (colStride == 1)
            {
                for (int r = 0; r < valid; r++)
                {
                    var row = a.Slice(first + r * rowStride, depth);
                    for (int k = 0; k < depth; k++)
                    {
                        sliver[k * mr + r] = row[k];
                    }
                }
            }
            else
            {
                for (int r = 0; r < valid; r++)
                {
                    for (int k = 0; k < depth; k++)
                    {
                        sliver[k * mr + r] = a[first + r * rowStride + k * colStride];
                    }
                }
            }
        }
    }

    /// <summary>
    /// Columns [n0, n0 + cols) × depth [k0, k0 + depth) of B into <paramref name="packed"/> as
    /// [panel][k][<paramref name="width"/>]; columns past the edge are zeros. <paramref name="start"/> is element
    /// (0, 0) of this batch's B; <paramref name="rowStride"/> and <paramref name="colStride"/> step along k and n.
    /// </summary>
    public static void PackB<T>(ReadOnlySpan<T> b, int start, int rowStride, int colStride, int n0, int cols, int k0,
        int depth, int width, Span<T> packed)
        where T : unmanaged, INumber<T>
    {
        for (int p = 0, n = 0; n < cols; p++, n += width)
        {
            int valid = Math.Min(width, cols - n);
            var panel = packed.Slice(p * depth * width, depth * width);
            if (valid < width)
            {
                panel.Clear();
            }
            int first = start + k0 * rowStride + (n0 + n) * colStride;
            if (colStride == 1)
            {
                for (int k = 0; k < depth; k++)
                {
                    b.Slice(first + k * rowStride, valid).CopyTo(panel.Slice(k * width, valid));
                }
            }
            else if (rowStride == 1)
            {
                // Bᵀ stored row-major (x·Wᵀ with W [out, in]): each column of B is contiguous along k.
                for (int j = 0; j < valid; j++)
                {
                    var column = b.Slice(first + j * colStride, depth);
                    for (int k = 0; k < depth; k++)
                    {
                        panel[k * width + j] = column[k];
                    }
                }
            }
            else
            {
                for (int j = 0; j < valid; j++)
                {
                    for (int k = 0; k < depth; k++)
                    {
                        panel[k * width + j] = b[first + k * rowStride + j * colStride];
                    }
                }
            }
        }
    }
}
