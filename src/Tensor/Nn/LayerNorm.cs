using MicrogradPlus.Backends;

namespace MicrogradPlus.Nn;

/// <summary>
/// Layer normalization, as torch.nn.LayerNorm: each sample is normalized over its last dimensions (those of the
/// normalized shape) to mean 0 and variance 1, then scaled and shifted element-wise by a learned weight (ones at
/// first) and bias (zeros). Parameter names "weight" and "bias", as torch's. See <see cref="Tensor.LayerNorm"/>.
/// </summary>
public sealed class LayerNorm : Module
{
    private readonly int[] _normalizedShape;

    /// <summary>A layer normalizing over the trailing dimensions <paramref name="normalizedShape"/>.</summary>
    /// <param name="normalizedShape">The sizes of the trailing dimensions to normalize over.</param>
    /// <param name="eps">Added to the variance before the square root (default 1e-5).</param>
    /// <param name="elementwiseAffine">Learn a scale (weight) and shift (bias) of <paramref name="normalizedShape"/>
    /// (default true).</param>
    /// <param name="device">Where the parameters live; null for <see cref="Device.Default"/>.</param>
    public LayerNorm(int[] normalizedShape, float eps = 1e-5f, bool elementwiseAffine = true, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d <= 0))
        {
            throw new ArgumentException(
                $"LayerNorm needs a non-empty normalized shape of positive sizes, got {Shapes.Format(normalizedShape)}");
        }
        if (!(eps >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(eps), $"LayerNorm: eps must be ≥ 0, got {eps}");
        }
        _normalizedShape = (int[])normalizedShape.Clone();
        Eps = eps;
        if (elementwiseAffine)
        {
            var target = device ?? Device.Default;
            Weight = RegisterParameter("weight", Tensor.Ones(_normalizedShape, target));
            Bias = RegisterParameter("bias", Tensor.Zeros(_normalizedShape, target));
        }
    }

    /// <summary>The trailing dimensions normalized over (a copy).</summary>
    public int[] NormalizedShape => (int[])_normalizedShape.Clone();

    /// <summary>Added to the variance before the square root.</summary>
    public float Eps { get; }

    /// <summary>The scale (normalized shape, ones at first), or null without an elementwise affine.</summary>
    public Tensor? Weight { get; }

    /// <summary>The shift (normalized shape, zeros at first), or null without an elementwise affine.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.LayerNorm(_normalizedShape, Weight, Bias, Eps);
    }

    /// <summary>"(4,), eps=1e-05, elementwise_affine=True", as torch prints a LayerNorm.</summary>
    /// <returns>The layer's settings in torch's format.</returns>
    protected override string ExtraRepr() =>
        $"{Shapes.Format(_normalizedShape)}, eps={PythonFloat(Eps)}, elementwise_affine={PythonBool(Weight is not null)}";
}
