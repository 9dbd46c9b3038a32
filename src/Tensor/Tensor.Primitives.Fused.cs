using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;

namespace MicrogradPlus;

/// <summary>
/// More of the bridge to backend primitives (see Tensor.Primitives.cs): the fused routines and copies, each choosing
/// the primitive's instantiation by the tensor's element type, as Tensor.Primitives.cs and Tensor.Primitives.Index.cs
/// (index ops and conversions) do.
/// </summary>
public sealed partial class Tensor
{
    /// <summary>Softmax or log-softmax of <paramref name="x"/> along the axis in one launch, not recorded.</summary>
    internal static Tensor FusedSoftmax(Tensor x, int axis, bool log)
    {
        var y = Empty(x._shape, x.DType, x.Device);
        if (x.DType == DType.Float32)
        {
            Primitives.Softmax<float, ScalarMath>(x.F32, axis, y.Storage.Float32!, log);
        }
        else
        {
            Primitives.Softmax<double, ScalarMath>(x.F64, axis, y.Storage.Float64!, log);
        }
        return y;
    }

    /// <summary>The gradient of <see cref="FusedSoftmax"/> from its output y and the incoming gradient g.</summary>
    internal static Tensor FusedSoftmaxBackward(Tensor y, Tensor g, int axis, bool log)
    {
        var dx = Empty(y._shape, y.DType, y.Device);
        if (y.DType == DType.Float32)
        {
            Primitives.SoftmaxBackward<float, ScalarMath>(y.Storage.Float32!, g.F32, axis, dx.Storage.Float32!, log);
        }
        else
        {
            Primitives.SoftmaxBackward<double, ScalarMath>(y.Storage.Float64!, g.F64, axis, dx.Storage.Float64!, log);
        }
        return dx;
    }

    /// <summary>The fused MSE backward: (p − t) · g · scale in one launch.</summary>
    internal static Tensor MseBackward(Tensor prediction, Tensor target, Tensor g, double scale)
    {
        var dx = Empty(prediction._shape, prediction.DType, prediction.Device);
        if (prediction.DType == DType.Float32)
        {
            Primitives.MseBackward(prediction.F32, target.F32, g.F32, (float)scale, dx.Storage.Float32!);
        }
        else
        {
            Primitives.MseBackward(prediction.F64, target.F64, g.F64, scale, dx.Storage.Float64!);
        }
        return dx;
    }

    internal static Tensor CrossEntropyBackward(Tensor logits, Tensor targets, Tensor stats, Tensor g, int n)
    {
        var dx = Empty(logits._shape, logits.DType, logits.Device);
        if (logits.DType == DType.Float32)
        {
            Primitives.CrossEntropyBackward<float, ScalarMath>(logits.F32, targets.Storage.Float32!, stats.Storage.Float32!,
                g.F32, 1f / n, dx.Storage.Float32!);
        }
        else
        {
            Primitives.CrossEntropyBackward<double, ScalarMath>(logits.F64, targets.Storage.Float64!,
                stats.Storage.Float64!, g.F64, 1d / n, dx.Storage.Float64!);
        }
        return dx;
    }

    /// <summary>Per row of logits [n, C]: the loss into <paramref name="perRow"/>, (max, log-sum-exp) into stats.</summary>
    internal static void CrossEntropyRows(Tensor logits, Tensor targets, Tensor perRow, Tensor stats)
    {
        if (logits.DType == DType.Float32)
        {
            Primitives.CrossEntropyRows<float, ScalarMath>(logits.F32, targets.Storage.Float32!,
                perRow.Storage.Float32!, stats.Storage.Float32!);
        }
        else
        {
            Primitives.CrossEntropyRows<double, ScalarMath>(logits.F64, targets.Storage.Float64!,
                perRow.Storage.Float64!, stats.Storage.Float64!);
        }
    }

    /// <summary>Integers (class indices) as a tensor of <paramref name="dtype"/>, uploaded once.</summary>
    internal static Tensor FromIntegers(int[] values, int[] shape, DType dtype, Device device) => dtype == DType.Float32
        ? FromArray(Array.ConvertAll(values, v => (float)v), shape, device)
        : FromArray(Array.ConvertAll(values, v => (double)v), shape, device);

    /// <summary>Every element of <paramref name="source"/> (broadcast when <paramref name="expand"/>) into
    /// <paramref name="destination"/>'s memory.</summary>
    internal static void CopyInto(Tensor source, Tensor destination, bool expand)
    {
        if (destination.DType == DType.Float32)
        {
            Primitives.Copy(expand ? source.F32.Expand(destination._shape) : source.F32, destination.F32);
        }
        else if (destination.DType == DType.Int32)
        {
            Primitives.Copy(expand ? source.I32.Expand(destination._shape) : source.I32, destination.I32);
        }
        else
        {
            Primitives.Copy(expand ? source.F64.Expand(destination._shape) : source.F64, destination.F64);
        }
    }

    /// <summary>The tensors, checked to fit, concatenated along <paramref name="axis"/> into result.</summary>
    internal static void Concat(Tensor[] tensors, int axis, Tensor result)
    {
        if (result.DType == DType.Float32)
        {
            Primitives.Concat(Array.ConvertAll(tensors, t => t.F32), axis, result.Storage.Float32!);
        }
        else if (result.DType == DType.Int32)
        {
            Primitives.Concat(Array.ConvertAll(tensors, t => t.I32), axis, result.Storage.Int32!);
        }
        else
        {
            Primitives.Concat(Array.ConvertAll(tensors, t => t.F64), axis, result.Storage.Float64!);
        }
    }

    /// <summary>c = op(a, b) into <paramref name="target"/>'s own contiguous memory (a and b of its shape).</summary>
    internal static void ZipInto<TOp>(Tensor a, Tensor b, Tensor target, TOp op = default)
        where TOp : struct, IBinaryOp<float>, IBinaryOp<double>
    {
        if (target.DType == DType.Float32)
        {
            Primitives.Zip<float, TOp>(a.F32, b.F32, target.Storage.Float32!, op);
        }
        else
        {
            Primitives.Zip<double, TOp>(a.F64, b.F64, target.Storage.Float64!, op);
        }
    }
}
