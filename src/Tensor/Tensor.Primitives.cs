using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;

namespace MicrogradPlus;

/// <summary>
/// The bridge from tensors to backend primitives: each helper checks devices and dtypes, computes the result's shape
/// (which checks the operands' shapes), allocates it from the pool and hands the primitive what it checked, so the
/// primitive only forwards; the tensor's element type picks the instantiation here, and only here and in
/// Tensor.Primitives.Fused.cs and Tensor.Primitives.Index.cs. Ops call these; they never touch ILGPU.
/// </summary>
public sealed partial class Tensor
{
    /// <summary>y = op(x) element-wise.</summary>
    internal static Tensor Map<TOp>(Tensor x, TOp op = default) where TOp : struct, IUnaryOp<float>, IUnaryOp<double>
    {
        var y = Empty(x._shape, x.DType, x.Device);
        if (x.DType == DType.Float32)
        {
            Primitives.Map<float, TOp>(x.F32, y.Storage.Float32!, op);
        }
        else
        {
            Primitives.Map<double, TOp>(x.F64, y.Storage.Float64!, op);
        }
        return y;
    }

    /// <summary>c = op(a, b) element-wise with broadcasting.</summary>
    internal static Tensor Zip<TOp>(Tensor a, Tensor b, string opName, TOp op = default)
        where TOp : struct, IBinaryOp<float>, IBinaryOp<double>
    {
        CheckCompatible(a, b, opName);
        // Shape arrays are never changed after construction, so equal shapes can share one.
        int[] shape = a._shape.AsSpan().SequenceEqual(b._shape) ? a._shape : Shapes.Broadcast(a._shape, b._shape);
        var c = Empty(shape, a.DType, a.Device);
        if (a.DType == DType.Float32)
        {
            Primitives.Zip<float, TOp>(a.F32, b.F32, shape, c.Storage.Float32!, op);
        }
        else
        {
            Primitives.Zip<double, TOp>(a.F64, b.F64, shape, c.Storage.Float64!, op);
        }
        return c;
    }

    /// <summary>A reduction over normalized <paramref name="axes"/>, each result times <paramref name="scale"/>.</summary>
    internal static Tensor Reduce<TOp>(Tensor x, int[] axes, bool keepDim, double scale = 1d)
        where TOp : struct, IReduceOp<float>, IReduceOp<double>
    {
        var flat = Empty(Shapes.Reduced(x._shape, axes, keepDim: false), x.DType, x.Device);
        if (x.DType == DType.Float32)
        {
            Primitives.ReduceNormalized<float, TOp>(x.F32, axes, flat.Storage.Float32!, (float)scale, default);
        }
        else
        {
            Primitives.ReduceNormalized<double, TOp>(x.F64, axes, flat.Storage.Float64!, scale, default);
        }
        if (!keepDim)
        {
            return flat;
        }
        var kept = Shapes.Reduced(x._shape, axes, keepDim: true);
        var view = flat.View(kept, Shapes.ContiguousStrides(kept), 0);
        flat.Dispose();
        return view;
    }

    /// <summary>
    /// C = act(op(A)·op(B) (+ bias over the last dimension)) for rank ≥ 2 operands (batch dims broadcast), the
    /// activation applied as C is stored.
    /// </summary>
    internal static Tensor BatchedMatMul(Tensor a, Tensor b, bool transposeA = false, bool transposeB = false,
        Tensor? bias = null, Epilogue activation = Epilogue.None)
    {
        CheckCompatible(a, b, "matmul");
        if (bias is not null)
        {
            CheckCompatible(a, bias, "matmul bias");
        }
        int[] shape = Primitives.MatMulShape(a._shape, b._shape, transposeA, transposeB);
        var c = Empty(shape, a.DType, a.Device);
        switch (activation)
        {
            case Epilogue.Relu:
                MatMulInto<ReluOp>(a, b, shape, c, transposeA, transposeB, bias);
                break;
            case Epilogue.Tanh:
                MatMulInto<TanhOp>(a, b, shape, c, transposeA, transposeB, bias);
                break;
            case Epilogue.Sigmoid:
                MatMulInto<SigmoidOp>(a, b, shape, c, transposeA, transposeB, bias);
                break;
            default:
                MatMulInto<NoActivation<float>, NoActivation<double>>(a, b, shape, c, transposeA, transposeB, bias);
                break;
        }
        return c;
    }

    // The product through an activation that has a float and a double form (one struct, or one per type).
    private static void MatMulInto<TAct>(Tensor a, Tensor b, int[] shape, Tensor c, bool transposeA, bool transposeB,
        Tensor? bias)
        where TAct : struct, IUnaryOp<float>, IUnaryOp<double> =>
        MatMulInto<TAct, TAct>(a, b, shape, c, transposeA, transposeB, bias);

    private static void MatMulInto<TFloat, TDouble>(Tensor a, Tensor b, int[] shape, Tensor c, bool transposeA,
        bool transposeB, Tensor? bias)
        where TFloat : struct, IUnaryOp<float>
        where TDouble : struct, IUnaryOp<double>
    {
        if (a.DType == DType.Float32)
        {
            Primitives.MatMul<float, TFloat>(a.F32, b.F32, shape, c.Storage.Float32!, transposeA, transposeB,
                bias: bias?.F32);
        }
        else
        {
            Primitives.MatMul<double, TDouble>(a.F64, b.F64, shape, c.Storage.Float64!, transposeA, transposeB,
                bias: bias?.F64);
        }
    }

    /// <summary>Throws naming both sides when two operands live on different devices or have different dtypes.</summary>
    internal static void CheckCompatible(Tensor a, Tensor b, string opName)
    {
        if (!ReferenceEquals(a.Device, b.Device))
        {
            throw new ArgumentException(
                $"{opName}: tensors are on different devices ({a.Device} and {b.Device}); move one with To(device)");
        }
        if (a.DType != b.DType)
        {
            throw new ArgumentException(
                $"{opName}: dtypes differ ({a.DType} and {b.DType}); convert one with To(DType.{a.DType})");
        }
    }

    /// <summary>
    /// The gradient of a broadcast: sums <paramref name="grad"/> over the dimensions that broadcasting added or
    /// stretched, giving a tensor of <paramref name="shape"/>. Built from Sum and Reshape, so it is differentiable.
    /// </summary>
    internal static Tensor SumToShape(Tensor grad, int[] shape)
    {
        if (grad._shape.AsSpan().SequenceEqual(shape))
        {
            return grad;
        }
        int lead = grad.Rank - shape.Length;
        var axes = new List<int>();
        for (int d = 0; d < grad.Rank; d++)
        {
            if (d < lead || (shape[d - lead] == 1 && grad._shape[d] != 1))
            {
                axes.Add(d);
            }
        }
        if (axes.Count == lead && lead > 0)
        {
            // Only added leading dimensions (a bias's gradient): the sum already has the shape, no view needed.
            return grad.Sum([.. axes]);
        }
        var summed = axes.Count == 0 ? grad : grad.Sum([.. axes], keepDim: true);
        return summed.Reshape(shape);
    }
}
