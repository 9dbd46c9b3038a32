using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// log(softmax(x)) along <paramref name="axis"/> (negative counts from the end), computed without overflow or
    /// log(0) (torch.log_softmax): the input of a cross-entropy loss.
    /// </summary>
    /// <remarks>
    /// yᵢ = (xᵢ − m) − log Σⱼ e^(xⱼ − m) with m = max x along the axis (a constant that cancels). ∂L/∂x = g − e^y ⊙ Σg
    /// with the sum along the axis, kept as size 1 (e^y is the softmax): built from the output, so it is itself
    /// differentiable.
    /// </remarks>
    public Tensor LogSoftmax(int axis)
    {
        int[] axes = SingleAxis(axis);
        var (shifted, exp, sum) = ShiftedExp(axes);
        Tensor y;
        using (var logSum = Map<LogOp>(sum))
        {
            y = Zip<SubOp>(shifted, logSum, "log_softmax");
        }
        shifted.Dispose();
        exp.Dispose();
        sum.Dispose();
        return Record(y, "log_softmax", [this], g => [g - y.Exp() * g.Sum(axes, keepDim: true)]);
    }
}
