using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// Mean squared error of a prediction against a target of the same shape (torch.nn.functional.mse_loss with the
    /// default mean reduction), fused: the caller (<c>Functional.Mse</c>) has checked the shapes.
    /// </summary>
    /// <remarks>
    /// L = (1/n) Σᵢ (pᵢ − tᵢ)²; ∂L/∂pᵢ = 2(pᵢ − tᵢ)/n, ∂L/∂tᵢ = −∂L/∂pᵢ. Forward: one launch for the squared differences
    /// (any strides), one for the mean — NaN for empty inputs (0/0), as in PyTorch. Backward: one launch for
    /// (p − t) · g · 2/n, with the loss's gradient g read on the device, and one more, a negation, when the target
    /// requires grad too (a target alone gets (p − t) · g · (−2/n) in one launch) — or, when a graph of the backward is
    /// being built (higher-order gradients), the same formula in differentiable ops. Values and gradients equal the
    /// composed mean((p − t)·(p − t)) bit for bit: 2/n is 2·(1/n) exactly, and doubling is exact.
    /// </remarks>
    internal static Tensor Mse(Tensor prediction, Tensor target)
    {
        var squares = Zip<SquaredDifferenceOp>(prediction, target, "Mse");
        int n = squares.Size;
        Tensor loss;
        using (squares)
        {
            loss = Reduce<SumReduce>(squares, Shapes.NormalizeAxes(null, squares.Rank), keepDim: false, scale: 1d / n);
        }
        return Record(loss, "mse", [prediction, target], g =>
        {
            if (Autograd.IsGradEnabled)
            {
                var dp = (prediction - target) * g.Scale(2d / n);
                return [prediction.RequiresGrad ? dp : null, target.RequiresGrad ? -dp : null];
            }
            if (!prediction.RequiresGrad)
            {
                return [null, MseBackward(prediction, target, g, -2d / n)];
            }
            var dx = MseBackward(prediction, target, g, 2d / n);
            return [dx, target.RequiresGrad ? -dx : null];
        });
    }
}
