using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>sign(x) element-wise: −1, 0 or 1, and 0 for NaN (torch.sign).</summary>
    /// <remarks>Piecewise constant: the gradient is 0 everywhere, as in PyTorch.</remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Sign() => Stepwise<SignOp>("sign");

    /// <summary>⌊x⌋ element-wise (torch.floor).</summary>
    /// <remarks>Piecewise constant: the gradient is 0 everywhere, as in PyTorch.</remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Floor() => Stepwise<FloorOp>("floor");

    /// <summary>⌈x⌉ element-wise (torch.ceil).</summary>
    /// <remarks>Piecewise constant: the gradient is 0 everywhere, as in PyTorch.</remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Ceil() => Stepwise<CeilOp>("ceil");

    /// <summary>x rounded to the nearest integer, halves to the even one (torch.round: 0.5 → 0, 1.5 → 2, −2.5 → −2).</summary>
    /// <remarks>Piecewise constant: the gradient is 0 everywhere, as in PyTorch.</remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Round() => Stepwise<RoundOp>("round");

    /// <summary>x rounded toward zero (torch.trunc).</summary>
    /// <remarks>Piecewise constant: the gradient is 0 everywhere, as in PyTorch.</remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Trunc() => Stepwise<TruncOp>("trunc");

    /// <summary>A piecewise constant op: recorded (so the graph reaches its input) with a zero gradient.</summary>
    private Tensor Stepwise<TOp>(string opName) where TOp : struct, IUnaryOp<float>, IUnaryOp<double>
    {
        var result = Map<TOp>(this);
        return Record(result, opName, [this], g => [Zeros(g._shape, g.Device, g.DType)], Saves.Nothing);
    }
}
