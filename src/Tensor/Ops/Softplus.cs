using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// softplus(x) = (1/β)·log(1 + e^(βx)) element-wise, and x itself where βx &gt; <paramref name="threshold"/>
    /// (torch.nn.functional.softplus).
    /// </summary>
    /// <remarks>
    /// softplus'(x) = σ(βx), and 1 above the threshold (where the linear branch is taken, as PyTorch's backward does).
    /// Written with tensor ops, so it is differentiable again.
    /// </remarks>
    /// <param name="beta">β, the sharpness (default 1).</param>
    /// <param name="threshold">Above this value of βx the result is x (default 20).</param>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    /// <exception cref="ArgumentOutOfRangeException">β is zero or NaN.</exception>
    public Tensor Softplus(float beta = 1f, float threshold = 20f)
    {
        if (beta == 0f || float.IsNaN(beta))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), $"Softplus: beta must be non-zero, got {beta}");
        }
        var result = Map(this, new SoftplusOp(beta, threshold));
        return Record(result, "softplus", [this], g =>
        {
            var scaled = this * beta;
            var linear = scaled.Gt(threshold);
            return [Where(linear, g, g * scaled.Sigmoid())];
        });
    }

    /// <summary>mish(x) = x·tanh(softplus(x)) element-wise (torch.nn.functional.mish).</summary>
    /// <remarks>
    /// With s = softplus(x) and t = tanh s: mish'(x) = t + x·(1 − t²)·σ(x), since s' = σ(x). Written with tensor
    /// ops, so it is differentiable again.
    /// </remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Mish()
    {
        var result = Map<MishOp>(this);
        return Record(result, "mish", [this], g =>
        {
            var tanh = Softplus().Tanh();
            return [g * (tanh + this * (1f - tanh * tanh) * Sigmoid())];
        });
    }

    /// <summary>log σ(x) = −softplus(−x) element-wise, computed without overflow (torch.nn.functional.logsigmoid).</summary>
    /// <remarks>y = min(x, 0) − log(1 + e^(−|x|)); y' = 1 − σ(x) = σ(−x).</remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor LogSigmoid()
    {
        var result = Map<LogSigmoidOp>(this);
        return Record(result, "logsigmoid", [this], g => [g * (-this).Sigmoid()]);
    }

    /// <summary>softsign(x) = x/(1 + |x|) element-wise (torch.nn.functional.softsign).</summary>
    /// <remarks>softsign'(x) = 1/(1 + |x|)², written with tensor ops.</remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Softsign()
    {
        var result = Map<SoftsignOp>(this);
        return Record(result, "softsign", [this], g => [g / (Abs() + 1f).Square()]);
    }
}
