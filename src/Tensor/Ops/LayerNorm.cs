using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// Layer normalization over the last <paramref name="normalizedShape"/>.Length dimensions, which must equal
    /// <paramref name="normalizedShape"/> (torch.nn.functional.layer_norm): each row is shifted to mean 0 and scaled
    /// to variance 1, then multiplied by <paramref name="weight"/> and shifted by <paramref name="bias"/> (each of
    /// normalizedShape, optional).
    /// </summary>
    /// <remarks>
    /// Per row of n elements: μ = Σx/n, σ² = Σ(x − μ)²/n (biased, as torch), r = 1/√(σ² + ε), x̂ = (x − μ)·r,
    /// y = x̂·w + b. Backward, with ĝ = g·w: ∂L/∂x = r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) along the row; ∂L/∂w = Σ g·x̂ and
    /// ∂L/∂b = Σ g over the rows.
    /// </remarks>
    public Tensor LayerNorm(int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, float eps = 1e-5f)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        int k = normalizedShape.Length;
        if (k == 0 || k > Rank || !_shape.AsSpan(Rank - k).SequenceEqual(normalizedShape))
        {
            throw new ArgumentException(
                $"LayerNorm: input of shape {Shapes.Format(_shape)} does not end in the normalized shape " +
                $"{Shapes.Format(normalizedShape)}");
        }
        foreach (var (name, parameter) in new[] { ("weight", weight), ("bias", bias) })
        {
            if (parameter is not null && !parameter.ShapeRef.AsSpan().SequenceEqual(normalizedShape))
            {
                throw new ArgumentException(
                    $"LayerNorm: {name} has shape {Shapes.Format(parameter.ShapeRef)}, the normalized shape is " +
                    $"{Shapes.Format(normalizedShape)}");
            }
        }
        if (!(eps >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(eps), $"LayerNorm: eps must be ≥ 0, got {eps}");
        }
        return ComposedLayerNorm(this, k, weight, bias, eps);
    }

    /// <summary>Layer normalization in plain differentiable ops (the reference the fused version is tested against).</summary>
    internal static Tensor ComposedLayerNorm(Tensor x, int normalizedDims, Tensor? weight, Tensor? bias, float eps)
    {
        int[] axes = [.. Enumerable.Range(x.Rank - normalizedDims, normalizedDims)];
        var centered = x - x.Mean(axes, keepDim: true);
        var variance = (centered * centered).Mean(axes, keepDim: true);
        var y = centered * (variance + eps).Pow(-0.5f);
        if (weight is not null)
        {
            y *= weight;
        }
        return bias is null ? y : y + bias;
    }
}
