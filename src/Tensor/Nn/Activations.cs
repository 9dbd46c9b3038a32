namespace MicrogradPlus.Nn;

/// <summary>max(x, 0).</summary>
public sealed class Relu : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Relu();

    /// <inheritdoc/>
    public override string ToString() => "ReLU()";
}

/// <summary>tanh(x).</summary>
public sealed class Tanh : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Tanh();

    /// <inheritdoc/>
    public override string ToString() => "Tanh()";
}

/// <summary>1/(1+e⁻ˣ).</summary>
public sealed class Sigmoid : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Sigmoid();

    /// <inheritdoc/>
    public override string ToString() => "Sigmoid()";
}

/// <summary>x·Φ(x) (exact erf form).</summary>
public sealed class Gelu : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Gelu();

    /// <inheritdoc/>
    public override string ToString() => "GELU()";
}

/// <summary>x·σ(x).</summary>
public sealed class Silu : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Silu();

    /// <inheritdoc/>
    public override string ToString() => "SiLU()";
}

/// <summary>x if x &gt; 0, else slope·x.</summary>
public sealed class LeakyRelu(float negativeSlope = 0.01f) : Module
{
    /// <summary>The slope for negative inputs.</summary>
    public float NegativeSlope { get; } = negativeSlope;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.LeakyRelu(NegativeSlope);

    /// <inheritdoc/>
    public override string ToString() => $"LeakyReLU({NegativeSlope})";
}

/// <summary>
/// Zeroes each element with probability p during training and scales the rest by 1/(1−p) (inverted dropout);
/// the identity in evaluation mode.
/// </summary>
public sealed class Dropout : Module
{
    private ulong _calls;

    /// <summary>Dropout with drop probability <paramref name="p"/> in [0, 1).</summary>
    public Dropout(float p = 0.5f, ulong seed = 0xD0D0)
    {
        if (!(p >= 0f && p < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(p), $"dropout probability must be in [0, 1), got {p}");
        }
        P = p;
        Seed = seed;
    }

    /// <summary>The drop probability.</summary>
    public float P { get; }

    /// <summary>The seed of the mask stream (each call draws a new mask).</summary>
    public ulong Seed { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!Training || P == 0f)
        {
            return input;
        }
        var keep = Tensor.Rand(input.Shape, Seed + 0x9E3779B97F4A7C15UL * ++_calls, input.Device, input.DType)
            .Lt(1f - P);
        return input * keep * (1f / (1f - P));
    }

    /// <inheritdoc/>
    public override string ToString() => $"Dropout(p={P})";
}
