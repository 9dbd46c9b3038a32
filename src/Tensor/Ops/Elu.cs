using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    private const double SeluAlpha = 1.6732632423543772848170429916717;
    private const double SeluScale = 1.0507009873554804934193349852946;

    /// <summary>elu(x) = x for x &gt; 0, else α·(eˣ − 1), element-wise (torch.nn.functional.elu).</summary>
    /// <remarks>
    /// elu'(x) = 1 for x &gt; 0, else α·eˣ; NaN takes the first branch, as PyTorch's backward does. Written with tensor
    /// ops, so it is differentiable again.
    /// </remarks>
    /// <param name="alpha">α, the scale of the negative branch, which tends to −α (default 1).</param>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Elu(float alpha = 1f) => EluScaled(alpha, 1d, "elu");

    /// <summary>
    /// selu(x) = λ·elu(x, α) element-wise with PyTorch's constants α ≈ 1.6733 and λ ≈ 1.0507
    /// (torch.nn.functional.selu).
    /// </summary>
    /// <remarks>selu'(x) = λ for x &gt; 0, else λ·α·eˣ; written with tensor ops.</remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Selu() => EluScaled(SeluAlpha, SeluScale, "selu");

    private Tensor EluScaled(double alpha, double scale, string opName)
    {
        var result = Map(this, new EluOp(alpha, scale));
        return Record(result, opName, [this], g =>
        {
            var negative = Le(0f);
            return [Where(negative, (g * Exp()).Scale(alpha * scale), g.Scale(scale))];
        });
    }
}
