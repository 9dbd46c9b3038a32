using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;

namespace MicrogradPlus;

/// <summary>
/// The bridge to the index primitives (see Tensor.Primitives.cs): gather, scatter-add, one-hot, triangles, running
/// sums, sorting and arg-reductions, and conversions between element types. As in the other bridge files, the
/// tensor's element type picks the instantiation here and nowhere else. Axes arrive normalized and index values
/// range-checked (<see cref="CheckIndexRange"/>).
/// </summary>
public sealed partial class Tensor
{
    /// <summary>y = x gathered along <paramref name="axis"/> at <paramref name="index"/> (y has the index's shape).</summary>
    internal static Tensor GatherRaw(Tensor x, int axis, Tensor index)
    {
        var y = Empty(index._shape, x.DType, x.Device);
        if (x.DType == DType.Float32)
        {
            Primitives.Gather(x.F32, axis, index.I32, y.Storage.Float32!);
        }
        else
        {
            Primitives.Gather(x.F64, axis, index.I32, y.Storage.Float64!);
        }
        return y;
    }

    /// <summary>A contiguous copy of <paramref name="self"/> with <paramref name="src"/> scatter-added along the axis.</summary>
    internal static Tensor ScatterAddRaw(Tensor self, int axis, Tensor index, Tensor src)
    {
        var y = Empty(self._shape, self.DType, self.Device);
        CopyInto(self, y, expand: false);
        if (self.DType == DType.Float32)
        {
            Primitives.ScatterAdd(y.Storage.Float32!, y._shape, axis, index.I32, src.F32);
        }
        else
        {
            Primitives.ScatterAdd(y.Storage.Float64!, y._shape, axis, index.I32, src.F64);
        }
        return y;
    }

    /// <summary>[size(index), classes] one-hot rows of a contiguous index, of <paramref name="dtype"/>.</summary>
    internal static Tensor OneHotRaw(Tensor index, int classes, DType dtype)
    {
        var y = Empty([index.Size, classes], dtype, index.Device);
        switch (dtype)
        {
            case DType.Float32: Primitives.OneHot(index.I32, classes, y.Storage.Float32!); break;
            case DType.Float64: Primitives.OneHot(index.I32, classes, y.Storage.Float64!); break;
            default: Primitives.OneHot(index.I32, classes, y.Storage.Int32!); break;
        }
        return y;
    }

    /// <summary>The lower or upper triangle of the last two dimensions (zeros elsewhere).</summary>
    internal static Tensor TriangleRaw(Tensor x, int diagonal, bool lower)
    {
        var y = Empty(x._shape, x.DType, x.Device);
        switch (x.DType)
        {
            case DType.Float32: Primitives.Triangle(x.F32, y.Storage.Float32!, diagonal, lower); break;
            case DType.Float64: Primitives.Triangle(x.F64, y.Storage.Float64!, diagonal, lower); break;
            default: Primitives.Triangle(x.I32, y.Storage.Int32!, diagonal, lower); break;
        }
        return y;
    }

    /// <summary>Running sums along <paramref name="axis"/>.</summary>
    internal static Tensor CumSumRaw(Tensor x, int axis)
    {
        var y = Empty(x._shape, x.DType, x.Device);
        if (x.DType == DType.Float32)
        {
            Primitives.CumSum(x.F32, axis, y.Storage.Float32!);
        }
        else
        {
            Primitives.CumSum(x.F64, axis, y.Storage.Float64!);
        }
        return y;
    }

    /// <summary>Int32 indices of the first <paramref name="keep"/> elements of each line in sorted order.</summary>
    internal static Tensor SortIndicesRaw(Tensor x, int axis, int keep, bool descending)
    {
        var shape = (int[])x._shape.Clone();
        shape[axis] = keep;
        var y = Empty(shape, DType.Int32, x.Device);
        if (x.DType == DType.Float32)
        {
            Primitives.SortIndices(x.F32, axis, keep, descending, y.Storage.Int32!);
        }
        else
        {
            Primitives.SortIndices(x.F64, axis, keep, descending, y.Storage.Int32!);
        }
        return y;
    }

    /// <summary>Int32 index of the largest (or smallest) value along <paramref name="axis"/> (the axis removed).</summary>
    internal static Tensor ArgReduceRaw(Tensor x, int axis, bool max)
    {
        var y = Empty(Shapes.Reduced(x._shape, x.Rank == 0 ? [] : [axis], keepDim: false), DType.Int32, x.Device);
        if (x.DType == DType.Float32)
        {
            Primitives.ArgReduce(x.F32, axis, y.Storage.Int32!, max);
        }
        else
        {
            Primitives.ArgReduce(x.F64, axis, y.Storage.Int32!, max);
        }
        return y;
    }

    /// <summary>The contiguous <paramref name="dense"/> converted into <paramref name="result"/>'s element type.</summary>
    internal static void Convert(Tensor dense, Tensor result)
    {
        switch ((dense.DType, result.DType))
        {
            case (DType.Float32, DType.Float64): Primitives.Widen(dense.F32, result.Storage.Float64!); break;
            case (DType.Float64, DType.Float32): Primitives.Narrow(dense.F64, result.Storage.Float32!); break;
            case (DType.Int32, DType.Float32):
                Primitives.Convert<int, float, IntToFloat>(dense.I32, result.Storage.Float32!);
                break;
            case (DType.Int32, DType.Float64):
                Primitives.Convert<int, double, IntToDouble>(dense.I32, result.Storage.Float64!);
                break;
            case (DType.Float32, DType.Int32):
                Primitives.Convert<float, int, FloatToInt>(dense.F32, result.Storage.Int32!);
                break;
            default:
                Primitives.Convert<double, int, DoubleToInt>(dense.F64, result.Storage.Int32!);
                break;
        }
    }

    /// <summary>
    /// Throws unless <paramref name="index"/> is an Int32 tensor on <paramref name="like"/>'s device whose every
    /// value lies in [0, <paramref name="limit"/>): the message names the first bad value, its position, the axis and
    /// its size. Reads the index back once (the check a device-side assert makes in PyTorch).
    /// </summary>
    internal static int[] CheckIndexRange(Tensor index, Tensor like, int limit, int axis, string opName)
    {
        ArgumentNullException.ThrowIfNull(index);
        if (index.DType != DType.Int32)
        {
            throw new ArgumentException(
                $"{opName}: the index must be an Int32 tensor, got {index.DType}; make it with Tensor.FromArray(int[], " +
                "…) or convert with To(DType.Int32)", nameof(index));
        }
        if (!ReferenceEquals(index.Device, like.Device))
        {
            throw new ArgumentException(
                $"{opName}: the index is on {index.Device} but the input on {like.Device}; move one with To(device)",
                nameof(index));
        }
        var values = index.ToInt32Array();
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] < 0 || values[i] >= limit)
            {
                throw new ArgumentOutOfRangeException(nameof(index),
                    $"{opName}: index {values[i]} (at flat position {i} of the index) is out of range for axis {axis} " +
                    $"of size {limit} (input shape {Shapes.Format(like._shape)})");
            }
        }
        return values;
    }
}
