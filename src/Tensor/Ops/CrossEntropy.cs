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
    internal static Tensor CrossEntropy(Tensor logits, int[] targets) =>
        // The only upload: n class indices, stored as values of the logits' type.
        CrossEntropy(logits, FromIntegers(targets, [logits._shape[0]], logits.DType, logits.Device));

    /// <summary>
    /// As <see cref="CrossEntropy(Tensor, int[])"/> with the class indices already on the device, as values of the
    /// logits' type (an Int32 target converted there: no read-back and upload).
    /// </summary>
    internal static Tensor CrossEntropy(Tensor logits, Tensor targetValues)
    {
        int n = logits._shape[0];
        var device = logits.Device;
        if (!logits.FusesSoftmax(1))
        {
            // A few very wide rows on a GPU: plain ops spread each row over the device (see Softmax).
            return -(logits.LogSoftmax(1) * OneHot(targetValues, logits)).Sum() / n;
        }
        var stats = Empty([n, 2], logits.DType, device);
        Tensor loss;
        using (var perRow = Empty([n], logits.DType, device))
        {
            CrossEntropyRows(logits, targetValues, perRow, stats);
            loss = Reduce<SumReduce>(perRow, [0], keepDim: false, scale: 1d / n);
        }
        return Record(loss, "cross_entropy", [logits], g => [
            Autograd.IsGradEnabled
                ? (logits.Softmax(1) - OneHot(targetValues, logits)) * (g / n)
                : CrossEntropyBackward(logits, targetValues, stats, g, n),
        ]);
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
