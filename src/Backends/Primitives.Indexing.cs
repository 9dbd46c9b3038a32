using System.Numerics;
using ILGPU;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

/// <summary>
/// Index primitives: gather and its adjoint scatter-add, one-hot, triangles, running sums, sorting indices and element
/// type conversions. Index tensors live on the device as int32; their values are range-checked by the tensor layer
/// (which reads them back once) before a primitive is called, so these check shapes and devices only.
/// </summary>
internal static partial class Primitives
{
    /// <summary>
    /// torch.gather along <paramref name="axis"/> (normalized): y = x[…, index[…], …] with y of the index's shape. The
    /// index has x's rank and, off the axis, sizes no larger than x's.
    /// </summary>
    public static void Gather<T>(StridedView<T> x, int axis, StridedView<int> index, DeviceBuffer<T> y)
        where T : unmanaged
    {
        RequireSameDevice(x.Device, index.Device, "gather");
        RequireIndexFits(index.Shape, x.Shape, axis, "gather", "input");
        RequireOutput(y, index.Size, index.Shape, x.Device, "gather");
        if (index.Size == 0)
        {
            return;
        }
        var strides = (int[])x.Strides.Clone();
        int axisStride = x.Rank == 0 ? 0 : strides[axis];
        if (x.Rank > 0)
        {
            strides[axis] = 0;
        }
        x.Device.Executor.Run(new GatherBody<T>(x.Buffer.View, Layout.Create(index.Shape, strides, x.Offset),
            axisStride, index.Buffer.View, Layout.Create(index.Shape, index.Strides, index.Offset), y.View),
            index.Size);
    }

    /// <summary>
    /// <see cref="Gather{T}(StridedView{T}, int, StridedView{int}, DeviceBuffer{T})"/> with host indices (row-major in
    /// <paramref name="indexShape"/>): every index is checked, then uploaded, before anything is launched.
    /// </summary>
    public static void Gather<T>(StridedView<T> x, int axis, int[] indices, int[] indexShape, DeviceBuffer<T> y)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(indexShape);
        int a = Shapes.NormalizeAxis(axis, x.Rank);
        RequireIndexFits(indexShape, x.Shape, a, "gather", "input");
        int size = Shapes.Size(indexShape);
        if (indices.Length != size)
        {
            throw new ArgumentException($"gather got {indices.Length} indices for index shape " +
                                        $"{Shapes.Format(indexShape)} ({size})");
        }
        int limit = x.Rank == 0 ? 1 : x.Shape[a];
        for (int i = 0; i < indices.Length; i++)
        {
            if (indices[i] < 0 || indices[i] >= limit)
            {
                throw new ArgumentOutOfRangeException(nameof(indices),
                    $"gather index {indices[i]} at position {i} is out of range for axis {axis} of size {limit} " +
                    $"(input shape {Shapes.Format(x.Shape)})");
            }
        }
        using var deviceIndices = x.Device.Pool.Rent<int>(size, guarded: false);
        deviceIndices.CopyFrom(indices);
        Gather(x, a, StridedView.Contiguous(deviceIndices, indexShape), y);
    }

    /// <summary>
    /// torch.scatter_add_ into contiguous <paramref name="y"/> of <paramref name="shape"/> (holding the values to add
    /// to): y[…, index[…], …] += src[…] along <paramref name="axis"/> (normalized). The index has y's rank and sizes
    /// no larger than src's, nor, off the axis, than y's.
    /// </summary>
    public static void ScatterAdd<T>(DeviceBuffer<T> y, int[] shape, int axis, StridedView<int> index,
        StridedView<T> src)
        where T : unmanaged, INumber<T>
    {
        RequireSameDevice(y.Device, index.Device, "scatter-add");
        RequireSameDevice(y.Device, src.Device, "scatter-add");
        RequireIndexFits(index.Shape, shape, axis, "scatter-add", "output");
        for (int d = 0; d < index.Rank; d++)
        {
            if (src.Rank != index.Rank || index.Shape[d] > src.Shape[d])
            {
                throw new ArgumentException($"scatter-add index of shape {Shapes.Format(index.Shape)} is larger " +
                                            $"than the source {Shapes.Format(src.Shape)}");
            }
        }
        RequireOutput(y, Shapes.Size(shape), shape, y.Device, "scatter-add");
        var region = (int[])index.Shape.Clone();
        region[axis] = shape[axis];
        int size = Shapes.Size(region);
        if (size == 0 || index.Size == 0)
        {
            return;
        }
        int inner = Shapes.Size(region.AsSpan(axis + 1));
        var indexStrides = (int[])index.Strides.Clone();
        indexStrides[axis] = 0;
        var srcStrides = (int[])src.Strides.Clone();
        srcStrides[axis] = 0;
        y.Device.Executor.Run(new ScatterAddBody<T>(y.View, Layout.Create(region, Shapes.ContiguousStrides(shape), 0),
            index.Buffer.View, Layout.Create(region, indexStrides, index.Offset), index.Strides[axis],
            src.Buffer.View, Layout.Create(region, srcStrides, src.Offset), src.Strides[axis], index.Shape[axis],
            inner, region[axis]), size);
    }

    /// <summary>y [size(index), classes] = one-hot rows of the contiguous <paramref name="index"/>.</summary>
    public static void OneHot<T>(StridedView<int> index, int classes, DeviceBuffer<T> y) where T : unmanaged, INumber<T>
    {
        RequireContiguous(index, "one-hot");
        RequireOutput(y, index.Size * classes, [index.Size, classes], index.Device, "one-hot");
        if (y.Length > 0)
        {
            index.Device.Executor.Run(new OneHotBody<T>(index.Buffer.View.SubView(index.Offset, index.Size), classes,
                y.View), checked((int)y.Length));
        }
    }

    /// <summary>The lower (or upper) triangle of the last two dimensions of x, zeros elsewhere, into contiguous y.</summary>
    public static void Triangle<T>(StridedView<T> x, DeviceBuffer<T> y, int diagonal, bool lower)
        where T : unmanaged, INumber<T>
    {
        if (x.Rank < 2)
        {
            throw new ArgumentException($"{(lower ? "tril" : "triu")} needs at least 2 dimensions, got " +
                                        $"{Shapes.Format(x.Shape)}");
        }
        RequireOutput(y, x.Size, x.Shape, x.Device, lower ? "tril" : "triu");
        if (x.Size > 0)
        {
            x.Device.Executor.Run(new TriangleBody<T>(x.Buffer.View, Layout.Create(x.Shape, x.Strides, x.Offset), y.View,
                x.Shape[^2], x.Shape[^1], diagonal, lower ? 1 : 0), x.Size);
        }
    }

    /// <summary>Running sums of x along <paramref name="axis"/> (normalized) into contiguous y of x's shape.</summary>
    public static void CumSum<T>(StridedView<T> x, int axis, DeviceBuffer<T> y) where T : unmanaged, INumber<T>
    {
        RequireOutput(y, x.Size, x.Shape, x.Device, "cumsum");
        if (x.Size == 0)
        {
            return;
        }
        var yStrides = Shapes.ContiguousStrides(x.Shape);
        x.Device.Executor.Run(new CumSumBody<T>(x.Buffer.View, Lines(x.Shape, x.Strides, axis, x.Offset),
            x.Strides[axis], y.View, Lines(x.Shape, yStrides, axis, 0), yStrides[axis], x.Shape[axis]),
            x.Size / x.Shape[axis]);
    }

    /// <summary>
    /// The first <paramref name="keep"/> indices of each line of x along <paramref name="axis"/> (normalized) in
    /// sorted order (stable; NaN largest) into contiguous y: x's shape with <paramref name="keep"/> on the axis.
    /// </summary>
    public static void SortIndices<T>(StridedView<T> x, int axis, int keep, bool descending, DeviceBuffer<int> y)
        where T : unmanaged, INumber<T>
    {
        var shape = (int[])x.Shape.Clone();
        shape[axis] = keep;
        RequireOutput(y, Shapes.Size(shape), shape, x.Device, "sort");
        if (y.Length == 0)
        {
            return;
        }
        var yStrides = Shapes.ContiguousStrides(shape);
        x.Device.Executor.Run(new SortIndexBody<T>(x.Buffer.View, Lines(x.Shape, x.Strides, axis, x.Offset),
            x.Strides[axis], y.View, Lines(shape, yStrides, axis, 0), yStrides[axis], x.Shape[axis], keep,
            descending ? 1 : 0), x.Size);
    }

    /// <summary>y = convert(x) for a contiguous x (any offset) into y of another element type.</summary>
    public static void Convert<TFrom, TTo, TConvert>(StridedView<TFrom> x, DeviceBuffer<TTo> y)
        where TFrom : unmanaged
        where TTo : unmanaged
        where TConvert : struct, IConvert<TFrom, TTo>
    {
        RequireContiguous(x, "convert");
        RequireOutput(y, x.Size, x.Shape, x.Device, "convert");
        if (x.Size > 0)
        {
            x.Device.Executor.Run(new ConvertBody<TFrom, TTo, TConvert>(x.Buffer.View.SubView(x.Offset, x.Size), y.View),
                x.Size);
        }
    }

    /// <summary>A layout walking the lines of <paramref name="shape"/> along <paramref name="axis"/>: the axis dropped.</summary>
    private static Layout Lines(int[] shape, int[] strides, int axis, int offset)
    {
        var s = shape.Where((_, d) => d != axis).ToArray();
        var t = strides.Where((_, d) => d != axis).ToArray();
        return Layout.Create(s, t, offset);
    }

    private static void RequireIndexFits(int[] indexShape, int[] shape, int axis, string what, string other)
    {
        if (indexShape.Length != shape.Length)
        {
            throw new ArgumentException($"{what}: index of shape {Shapes.Format(indexShape)} must have the rank of the " +
                                        $"{other} {Shapes.Format(shape)}");
        }
        for (int d = 0; d < shape.Length; d++)
        {
            if (d != axis && indexShape[d] > shape[d])
            {
                throw new ArgumentException($"{what}: index of shape {Shapes.Format(indexShape)} is larger than the " +
                                            $"{other} {Shapes.Format(shape)} in dimension {d}");
            }
        }
    }
}
