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
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Gelu()
    {
        var result = Map<GeluOp>(this);
        return Record(result, "gelu", [this], g => [g * GeluGrad()]);
    }

    /// <summary>
    /// gelu(x) element-wise in the form <paramref name="approximate"/> names, as torch.nn.functional.gelu:
    /// "none" is the exact x·Φ(x) (<see cref="Gelu()"/>), "tanh" is ½x·(1 + tanh(√(2/π)·(x + 0.044715x³))).
    /// </summary>
    /// <remarks>
    /// For "tanh", with u = √(2/π)·(x + 0.044715x³): y' = ½(1 + tanh u) + ½x·sech²u·√(2/π)·(1 + 3·0.044715x²),
    /// written with tensor ops so it is differentiable again (sech²u as 4/(eᵘ + e⁻ᵘ)², which keeps its tail in float32).
    /// </remarks>
    /// <param name="approximate">"none" for the exact form, "tanh" for the tanh approximation.</param>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    /// <exception cref="ArgumentException"><paramref name="approximate"/> is neither "none" nor "tanh".</exception>
    public Tensor Gelu(string approximate)
    {
        ArgumentNullException.ThrowIfNull(approximate);
        if (approximate == "none")
        {
            return Gelu();
        }
        if (approximate != "tanh")
        {
            throw new ArgumentException(
                $"Gelu: approximate must be \"none\" or \"tanh\", got \"{approximate}\"", nameof(approximate));
        }
        var result = Map<GeluTanhOp>(this);
        return Record(result, "gelu_tanh", [this], g =>
        {
            const double k = 0.7978845608028654, c = 0.044715;
            var x2 = Square();
            var u = (this + (this * x2).Scale(c)).Scale(k);
            // sech²u = 4/(eᵘ + e⁻ᵘ)², not 1 − tanh²u, which cancels to 0 in float32 once tanh u rounds to ±1.
            var sech2 = (u.Exp() + (-u).Exp()).Square().Reciprocal() * 4f;
            return [g * ((u.Tanh() + 1f) * 0.5f + (this * sech2 * (x2.Scale(3d * c) + 1f)).Scale(0.5d * k))];
        });
    }

    /// <summary>gelu'(x) = Φ(x) + x·φ(x) element-wise: the derivative of <see cref="Gelu()"/>, differentiable.</summary>
    /// <remarks>d/dx gelu'(x) = 2φ(x) + x·φ'(x) = φ(x)·(2 − x²), since φ'(x) = −x·φ(x).</remarks>
    internal Tensor GeluGrad()
    {
        var result = Map<GeluGradOp>(this);
        return Record(result, "gelu_grad", [this], g => [g * NormalPdf() * (2f - this * this)]);
    }

    /// <summary>φ(x) = e^(−x²/2)/√(2π), from recorded ops.</summary>
    private Tensor NormalPdf() => (this * this * -0.5f).Exp() * 0.39894228040143268f;
}
