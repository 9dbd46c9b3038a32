using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// log(softmax(x)) along <paramref name="axis"/> (negative counts from the end), computed without overflow or
    /// log(0) (torch.log_softmax): the input of a cross-entropy loss.
    /// </summary>
    /// <remarks>
    /// yᵢ = (xᵢ − m) − log Σⱼ e^(xⱼ − m) with m = max x along the axis (a constant that cancels). ∂L/∂x = g − e^y ⊙ Σg
    /// with the sum along the axis (e^y is the softmax). Fused as <see cref="Softmax"/>: one launch forward, one
    /// backward from the output, or differentiable ops when a graph of the backward is being built (and plain ops for
    /// a few very long rows on GPUs).
    /// </remarks>
    /// <param name="axis">The axis to normalize along; negative counts from the end.</param>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor LogSoftmax(int axis)
    {
        bool fused = FusesSoftmax(axis);
        var y = fused ? FusedSoftmax(this, axis, log: true) : ComposedSoftmax(this, axis, log: true);
        return Record(y, "log_softmax", [this], g => [
            Autograd.IsGradEnabled || !fused
                ? g - y.Exp() * g.Sum(Shapes.SingleAxis(axis, Rank), keepDim: true)
                : FusedSoftmaxBackward(y, g, axis, log: true),
        ], Saves.Output);
    }
}
