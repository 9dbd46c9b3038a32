using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// Mean cross-entropy of logits [n, C] against class indices (torch.nn.functional.cross_entropy with the default
    /// mean reduction), fused: the caller (<c>Functional.CrossEntropy</c>) has checked the shapes and the index range.
    /// </summary>
    /// <remarks>
    /// Lᵢ = log Σⱼ e^xᵢⱼ − xᵢ,tᵢ, L = (1/n) Σᵢ Lᵢ; ∂L/∂xᵢⱼ = (softmax(xᵢ)ⱼ − [j = tᵢ]) / n, softmax minus one-hot.
    /// Forward: one launch for every row's loss and statistics (its maximum and shifted log-sum-exp), one for the mean.
    /// Backward: one launch from the saved statistics — or, when a graph of the backward is being built (higher-order
    /// gradients), the same formula in differentiable ops. The forward runs one thread per row for classifier heads
    /// and a thread group per row for wide rows on GPUs (the group reads the row together), except for a few very
    /// wide rows, which go through plain ops as softmax's do; on the CPU device, forward and backward are host loops
    /// over rows split across cores, each row vectorised.
    /// </remarks>
    internal static Tensor CrossEntropy(Tensor logits, int[] targets)
    {
        int n = logits._shape[0];
        var device = logits.Device;
        bool f32 = logits.DType == DType.Float32;
        // The only upload: n class indices, stored as values of the logits' type.
        var targetValues = f32
            ? FromArray(Array.ConvertAll(targets, t => (float)t), [n], device)
            : FromArray(Array.ConvertAll(targets, t => (double)t), [n], device);
        if (!logits.FusesSoftmax(1))
        {
            // A few very wide rows on a GPU: plain ops spread each row over the device (see Softmax).
            return -(logits.LogSoftmax(1) * OneHot(targetValues, logits)).Sum() / n;
        }
        var stats = Empty([n, 2], logits.DType, device);
        Tensor loss;
        using (var perRow = Empty([n], logits.DType, device))
        {
            if (f32)
            {
                Primitives.CrossEntropyRows<float, ScalarMath>(logits.F32, targetValues.Storage.Float32!,
                    perRow.Storage.Float32!, stats.Storage.Float32!);
            }
            else
            {
                Primitives.CrossEntropyRows<double, ScalarMath>(logits.F64, targetValues.Storage.Float64!,
                    perRow.Storage.Float64!, stats.Storage.Float64!);
            }
            loss = Reduce<SumReduce>(perRow, [0], keepDim: false, scale: 1d / n);
        }
        return Record(loss, "cross_entropy", [logits], g => [
            Autograd.IsGradEnabled
                ? (logits.Softmax(1) - OneHot(targetValues, logits)) * (g / n)
                : CrossEntropyBackward(logits, targetValues, stats, g, n),
        ]);
    }

    private static Tensor CrossEntropyBackward(Tensor logits, Tensor targets, Tensor stats, Tensor g, int n)
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

    /// <summary>
    /// [n, C] with 1 where the column is row i's class, built on the device from the uploaded indices: class numbers
    /// [C] compared with the targets [n, 1] (one broadcast comparison, no n×C upload).
    /// </summary>
    private static Tensor OneHot(Tensor targets, Tensor like)
    {
        int n = like._shape[0], classes = like._shape[1];
        using var numbers = Arange(classes, like.Device);
        using var typed = like.DType == DType.Float32 ? null : numbers.To(like.DType);
        using var column = targets.Reshape(n, 1);
        return Zip<EqualOp>(typed ?? numbers, column, "one-hot");
    }
}
