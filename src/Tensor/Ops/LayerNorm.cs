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
    /// <param name="normalizedShape">The sizes of the trailing dimensions to normalize over.</param>
    /// <param name="weight">The scale γ, of shape <paramref name="normalizedShape"/>, or null for 1.</param>
    /// <param name="bias">The shift β, of shape <paramref name="normalizedShape"/>, or null for 0.</param>
    /// <param name="eps">Added to the variance before the square root (default 1e-5).</param>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
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
        if (Size == 0 || (weight is null) != (bias is null))
        {
            return ComposedLayerNorm(this, k, weight, bias, eps);
        }
        return FusedLayerNormOp(this, k, weight, bias, eps);
    }

    /// <summary>
    /// The fused op: one launch forward (rows of the normalized size, μ and 1/σ saved per row), one backward for dx
    /// and g·x̂, then the reductions over the rows for the weight's and bias's gradients — or, when a graph of the
    /// backward is being built (higher-order gradients), the same formulas in differentiable ops.
    /// </summary>
    private static Tensor FusedLayerNormOp(Tensor x, int normalizedDims, Tensor? weight, Tensor? bias, float eps)
    {
        int count = Shapes.Size(x._shape.AsSpan(x.Rank - normalizedDims));
        int rows = x.Size / count;
        var dense = x.Materialize();
        var (w, b) = (weight?.Materialize(), bias?.Materialize());
        var stats = Empty([rows, 2], x.DType, x.Device);
        var y = FusedLayerNorm(dense, count, w, b, eps, stats);
        int[] rowAxes = [.. Enumerable.Range(0, x.Rank - normalizedDims)];
        Tensor[] inputs = weight is null ? [x] : [x, weight, bias!];
        return Record(y, "layer_norm", inputs, g =>
        {
            if (Autograd.IsGradEnabled)
            {
                return LayerNormBackwardComposed(x, normalizedDims, weight, bias, eps, g);
            }
            using var gDense = g.Materialize();
            var (dx, gradXHat) = FusedLayerNormBackward(dense, count, stats, gDense, w);
            if (gradXHat is null)
            {
                return [dx];
            }
            using (gradXHat)
            {
                return [
                    dx,
                    weight!.RequiresGrad ? SumRows(gradXHat, rowAxes) : null,
                    bias!.RequiresGrad ? SumRows(g, rowAxes) : null,
                ];
            }
        });
    }

    /// <summary>The sum over the leading (row) axes: the normalized shape's gradient.</summary>
    private static Tensor SumRows(Tensor t, int[] rowAxes) => rowAxes.Length == 0 ? t.Detach() : t.Sum(rowAxes);

    /// <summary>
    /// The layer-norm gradients in differentiable ops, from x, w and g: with x̂ = (x − μ)·r and ĝ = g·w,
    /// dx = r·(ĝ − mean ĝ − x̂·mean(ĝ·x̂)), dw = Σ g·x̂ and db = Σ g over the rows.
    /// </summary>
    private static Tensor?[] LayerNormBackwardComposed(Tensor x, int normalizedDims, Tensor? weight, Tensor? bias,
        float eps, Tensor g)
    {
        int[] axes = [.. Enumerable.Range(x.Rank - normalizedDims, normalizedDims)];
        var centered = x - x.Mean(axes, keepDim: true);
        var inverseStd = ((centered * centered).Mean(axes, keepDim: true) + eps).Pow(-0.5f);
        var xHat = centered * inverseStd;
        var gHat = weight is null ? g : g * weight;
        var dx = inverseStd * (gHat - gHat.Mean(axes, keepDim: true) - xHat * (gHat * xHat).Mean(axes, keepDim: true));
        return weight is null ? [dx] : [dx, SumToShape(g * xHat, weight._shape), SumToShape(g, bias!._shape)];
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
