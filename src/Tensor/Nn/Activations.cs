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

/// <summary>
/// x·Φ(x) (exact erf form), or with <c>approximate: "tanh"</c> ½x·(1 + tanh(√(2/π)·(x + 0.044715x³))), as nn.GELU.
/// </summary>
public sealed class Gelu : Module
{
    /// <summary>The exact form ("none") or the tanh approximation ("tanh").</summary>
    /// <param name="approximate">"none" (default) for the exact form, "tanh" for the tanh approximation.</param>
    /// <exception cref="ArgumentException"><paramref name="approximate"/> is neither "none" nor "tanh".</exception>
    public Gelu(string approximate = "none")
    {
        ArgumentNullException.ThrowIfNull(approximate);
        if (approximate is not ("none" or "tanh"))
        {
            throw new ArgumentException(
                $"Gelu: approximate must be \"none\" or \"tanh\", got \"{approximate}\"", nameof(approximate));
        }
        Approximate = approximate;
    }

    /// <summary>"none" (exact) or "tanh".</summary>
    public string Approximate { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Approximate == "none" ? input.Gelu() : input.Gelu(Approximate);

    /// <inheritdoc/>
    public override string ToString() => Approximate == "none" ? "GELU()" : $"GELU(approximate='{Approximate}')";
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
/// <param name="negativeSlope">The slope for x ≤ 0 (default 0.01).</param>
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
    /// <param name="p">The probability of zeroing an element in training mode, in [0, 1) (default 0.5).</param>
    /// <param name="seed">The seed of the mask stream; the same seed gives the same masks.</param>
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

/// <summary>(1/β)·log(1 + e^(βx)), and x where βx &gt; threshold.</summary>
/// <param name="beta">β, the sharpness (default 1).</param>
/// <param name="threshold">Above this value of βx the output is x itself (default 20).</param>
public sealed class Softplus(float beta = 1f, float threshold = 20f) : Module
{
    /// <summary>β, the sharpness.</summary>
    public float Beta { get; } = beta;

    /// <summary>Above βx = threshold the function is taken as x.</summary>
    public float Threshold { get; } = threshold;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Softplus(Beta, Threshold);

    /// <inheritdoc/>
    public override string ToString() => $"Softplus(beta={Beta}, threshold={Threshold})";
}

/// <summary>x for x &gt; 0, else α·(eˣ − 1).</summary>
/// <param name="alpha">α, the scale of the negative branch, which tends to −α (default 1).</param>
public sealed class Elu(float alpha = 1f) : Module
{
    /// <summary>α, the value approached for large negative x (as −α).</summary>
    public float Alpha { get; } = alpha;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Elu(Alpha);

    /// <inheritdoc/>
    public override string ToString() => $"ELU(alpha={Alpha})";
}

/// <summary>λ·elu(x, α) with α ≈ 1.6733, λ ≈ 1.0507.</summary>
public sealed class Selu : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Selu();

    /// <inheritdoc/>
    public override string ToString() => "SELU()";
}

/// <summary>x·relu6(x + 3)/6.</summary>
public sealed class Hardswish : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Hardswish();

    /// <inheritdoc/>
    public override string ToString() => "Hardswish()";
}

/// <summary>relu6(x + 3)/6.</summary>
public sealed class Hardsigmoid : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Hardsigmoid();

    /// <inheritdoc/>
    public override string ToString() => "Hardsigmoid()";
}

/// <summary>min(max(x, minValue), maxValue).</summary>
/// <param name="minValue">The lower bound (default −1).</param>
/// <param name="maxValue">The upper bound (default 1); not below <paramref name="minValue"/>.</param>
public sealed class Hardtanh(float minValue = -1f, float maxValue = 1f) : Module
{
    /// <summary>The lower bound.</summary>
    public float MinValue { get; } = minValue;

    /// <summary>The upper bound.</summary>
    public float MaxValue { get; } = maxValue;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Hardtanh(MinValue, MaxValue);

    /// <inheritdoc/>
    public override string ToString() => $"Hardtanh(min_val={MinValue}, max_val={MaxValue})";
}

/// <summary>min(max(x, 0), 6).</summary>
public sealed class Relu6 : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Relu6();

    /// <inheritdoc/>
    public override string ToString() => "ReLU6()";
}

/// <summary>x·tanh(softplus(x)).</summary>
public sealed class Mish : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Mish();

    /// <inheritdoc/>
    public override string ToString() => "Mish()";
}

/// <summary>log σ(x).</summary>
public sealed class LogSigmoid : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.LogSigmoid();

    /// <inheritdoc/>
    public override string ToString() => "LogSigmoid()";
}

/// <summary>x/(1 + |x|).</summary>
public sealed class Softsign : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Softsign();

    /// <inheritdoc/>
    public override string ToString() => "Softsign()";
}
