using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>gelu(x) = x·Φ(x) element-wise, the exact (erf) form: PyTorch's default.</summary>
    /// <remarks>
    /// gelu'(x) = Φ(x) + x·φ(x), with Φ the standard normal CDF and φ its density. The derivative is one kernel
    /// (<see cref="GeluGrad"/>), recorded as an op of its own whose backward is gelu''(x) = φ(x)·(2 − x²) written
    /// with tensor ops, so gradients of every order exist.
    /// </remarks>
    public Tensor Gelu()
    {
        var result = Map<GeluOp>(this);
        return Record(result, "gelu", [this], g => [g * GeluGrad()]);
    }

    /// <summary>gelu'(x) = Φ(x) + x·φ(x) element-wise: the derivative of <see cref="Gelu"/>, differentiable.</summary>
    /// <remarks>d/dx gelu'(x) = 2φ(x) + x·φ'(x) = φ(x)·(2 − x²), since φ'(x) = −x·φ(x).</remarks>
    internal Tensor GeluGrad()
    {
        var result = Map<GeluGradOp>(this);
        return Record(result, "gelu_grad", [this], g => [g * NormalPdf() * (2f - this * this)]);
    }

    /// <summary>φ(x) = e^(−x²/2)/√(2π), from recorded ops.</summary>
    private Tensor NormalPdf() => (this * this * -0.5f).Exp() * 0.39894228040143268f;
}
