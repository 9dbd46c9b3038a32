namespace MicrogradPlus.Nn;

/// <summary>y = x·Wᵀ + b, as torch.nn.Linear (weight of shape [out, in]).</summary>
public sealed class Linear : Module
{
    /// <summary>
    /// A layer initialised like PyTorch's default: weight and bias uniform in ±1/√inFeatures (kaiming-uniform with
    /// a = √5 reduces to that), from <paramref name="seed"/> when given, else from the global generator.
    /// </summary>
    /// <param name="inFeatures">Features per input row.</param>
    /// <param name="outFeatures">Features per output row.</param>
    /// <param name="bias">Whether the layer adds a learned bias b.</param>
    /// <param name="device">Where the parameters live; null for <see cref="Device.Default"/>.</param>
    /// <param name="seed">The initialisation's seed, or null to draw from the global generator.</param>
    public Linear(int inFeatures, int outFeatures, bool bias = true, Device? device = null, ulong? seed = null)
    {
        if (inFeatures <= 0 || outFeatures <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(inFeatures),
                $"Linear needs positive feature counts, got in={inFeatures}, out={outFeatures}");
        }
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        float bound = 1f / MathF.Sqrt(inFeatures);
        var target = device ?? Device.Default;
        using (Autograd.NoGrad())
        {
            Weight = RegisterParameter("weight", Uniform([outFeatures, inFeatures], bound, seed, target));
            Bias = bias ? RegisterParameter("bias", Uniform([outFeatures], bound, seed ^ BiasStream, target)) : null;
        }
    }

    /// <summary>Input features.</summary>
    public int InFeatures { get; }

    /// <summary>Output features.</summary>
    public int OutFeatures { get; }

    /// <summary>[out, in].</summary>
    public Tensor Weight { get; }

    /// <summary>[out], or null without bias.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Functional.Linear(input, Weight, Bias);
    }

    /// <summary>This layer and the activation after it, in one launch (see <see cref="Sequential.Forward"/>).</summary>
    internal Tensor Forward(Tensor input, Epilogue activation)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Functional.Linear(input, Weight, Bias, activation);
    }

    /// <summary>"in_features=2, out_features=16, bias=True", as torch prints a Linear.</summary>
    /// <returns>The layer's settings in torch's format.</returns>
    protected override string ExtraRepr() =>
        $"in_features={InFeatures}, out_features={OutFeatures}, bias={PythonBool(Bias is not null)}";

    // Bias draws come from a stream far from any weight seed, so Linear(seed: s + 1) never reuses seed s's bias.
    private const ulong BiasStream = 0xB1A5_0000_0000_0000UL;

    private static Tensor Uniform(int[] shape, float bound, ulong? seed, Device device)
    {
        using var unit = Tensor.Rand(shape, seed, device);
        using var scaled = unit * (2f * bound);
        return scaled - bound;
    }
}
