namespace MicrogradPlus.Backends;

/// <summary>
/// A shape and strides over a float buffer: how a tensor (or a view of one) sits in device memory. Views — permute,
/// transpose, expand, slice, squeeze, unsqueeze, and reshape of contiguous data — only change this record; kernels
/// read any view directly, and <c>Primitives.Copy</c> materialises one when contiguity is needed.
/// </summary>
internal sealed class StridedView<T> where T : unmanaged
{
    /// <summary>A view after checking that every element it can reach lies inside the buffer.</summary>
    public StridedView(DeviceBuffer<T> buffer, int[] shape, int[] strides, int offset)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(strides);
        if (shape.Length != strides.Length)
        {
            throw new ArgumentException(
                $"shape {Shapes.Format(shape)} has rank {shape.Length} but {strides.Length} strides were given");
        }
        Size = Shapes.Size(shape);
        if (Size > 0)
        {
            long lo = offset, hi = offset;
            for (int i = 0; i < shape.Length; i++)
            {
                long reach = (long)(shape[i] - 1) * strides[i];
                if (reach < 0) { lo += reach; } else { hi += reach; }
            }
            if (lo < 0 || hi >= buffer.Length)
            {
                throw new ArgumentException(
                    $"a view of shape {Shapes.Format(shape)}, strides {Shapes.Format(strides)} and offset {offset} " +
                    $"reaches elements {lo}..{hi} of a buffer of {buffer.Length}");
            }
        }
        Buffer = buffer;
        Shape = shape;
        Strides = strides;
        Offset = offset;
    }

    /// <summary>The memory.</summary>
    public DeviceBuffer<T> Buffer { get; }

    /// <summary>Sizes, outermost first.</summary>
    public int[] Shape { get; }

    /// <summary>Strides in elements.</summary>
    public int[] Strides { get; }

    /// <summary>Offset of element 0 in the buffer.</summary>
    public int Offset { get; }

    /// <summary>Number of elements.</summary>
    public int Size { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Length;

    /// <summary>The device the buffer is on.</summary>
    public Device Device => Buffer.Device;

    /// <summary>Whether elements lie in row-major order from <see cref="Offset"/> (size-1 dimensions ignored).</summary>
    public bool IsContiguous => Shapes.IsContiguous(Shape, Strides);

    /// <summary>Dimensions reordered: dimension i of the result is dimension axes[i] of this view.</summary>
    public StridedView<T> Permute(params int[] axes)
    {
        ArgumentNullException.ThrowIfNull(axes);
        if (axes.Length != Rank)
        {
            throw new ArgumentException(
                $"permute of a tensor of shape {Shapes.Format(Shape)} needs {Rank} axes, got [{string.Join(", ", axes)}]");
        }
        var normalized = axes.Select(a => Shapes.NormalizeAxis(a, Rank)).ToArray();
        if (normalized.Distinct().Count() != Rank)
        {
            throw new ArgumentException($"permute axes [{string.Join(", ", axes)}] repeat an axis (rank {Rank})");
        }
        return new StridedView<T>(Buffer, normalized.Select(a => Shape[a]).ToArray(),
            normalized.Select(a => Strides[a]).ToArray(), Offset);
    }

    /// <summary>Two dimensions swapped.</summary>
    public StridedView<T> Transpose(int axis0, int axis1)
    {
        int a = Shapes.NormalizeAxis(axis0, Rank), b = Shapes.NormalizeAxis(axis1, Rank);
        var axes = Enumerable.Range(0, Rank).ToArray();
        (axes[a], axes[b]) = (axes[b], axes[a]);
        return Permute(axes);
    }

    /// <summary>Broadcast to <paramref name="shape"/> without copying: expanded dimensions get stride 0.</summary>
    public StridedView<T> Expand(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return new StridedView<T>(Buffer, (int[])shape.Clone(), Shapes.ExpandedStrides(Shape, Strides, shape), Offset);
    }

    /// <summary>Elements start..end−1 along one axis.</summary>
    public StridedView<T> Slice(int axis, int start, int end)
    {
        int a = Shapes.NormalizeAxis(axis, Rank);
        if (start < 0 || end > Shape[a] || start > end)
        {
            throw new ArgumentOutOfRangeException(nameof(start),
                $"slice [{start}, {end}) is outside axis {axis} of size {Shape[a]} (shape {Shapes.Format(Shape)})");
        }
        var shape = (int[])Shape.Clone();
        shape[a] = end - start;
        return new StridedView<T>(Buffer, shape, Strides, Offset + start * Strides[a]);
    }

    /// <summary>A new view of the same contiguous data with another shape of the same size.</summary>
    public StridedView<T> Reshape(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (Shapes.Size(shape) != Size)
        {
            throw new ArgumentException(
                $"cannot reshape {Shapes.Format(Shape)} ({Size} elements) to {Shapes.Format(shape)}");
        }
        if (!IsContiguous)
        {
            throw new InvalidOperationException(
                $"a non-contiguous view of shape {Shapes.Format(Shape)} must be copied before reshaping");
        }
        return new StridedView<T>(Buffer, (int[])shape.Clone(), Shapes.ContiguousStrides(shape), Offset);
    }

    /// <summary>"(3, 4) strides (4, 1) +0 on cpu".</summary>
    public override string ToString() =>
        $"{Shapes.Format(Shape)} strides {Shapes.Format(Strides)} +{Offset} on {Device}";
}

/// <summary>Factory for <see cref="StridedView{T}"/>.</summary>
internal static class StridedView
{
    /// <summary>A contiguous view of the first <c>size(shape)</c> elements of <paramref name="buffer"/>.</summary>
    public static StridedView<T> Contiguous<T>(DeviceBuffer<T> buffer, params int[] shape) where T : unmanaged =>
        new(buffer, shape, Shapes.ContiguousStrides(shape), 0);
}
