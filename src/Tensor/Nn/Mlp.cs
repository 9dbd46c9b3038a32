namespace MicrogradPlus.Nn;

/// <summary>The activation between the hidden layers of an <see cref="Mlp"/>.</summary>
public enum Activation
{
    /// <summary>max(x, 0).</summary>
    Relu,
    /// <summary>tanh(x).</summary>
    Tanh,
    /// <summary>1/(1+e⁻ˣ).</summary>
    Sigmoid,
    /// <summary>x·Φ(x).</summary>
    Gelu,
    /// <summary>x if x &gt; 0, else 0.01·x.</summary>
    LeakyRelu,
    /// <summary>x·σ(x).</summary>
    Silu,
}

/// <summary>
/// A multi-layer perceptron: Linear → activation → … → Linear (no activation after the last layer), the model of
/// micrograd's demo carried to tensors. Parameter names follow Sequential: "0.weight", "0.bias", "2.weight", ….
/// </summary>
public sealed class Mlp : Module
{
    private readonly Sequential _layers;

    /// <summary>
    /// An MLP inFeatures → hidden[0] → … → outFeatures. With a <paramref name="seed"/>, each layer is seeded from it
    /// (the same weights on every device and every run); without one, the layers draw from the global generator, as
    /// torch's do: <see cref="Tensor.ManualSeed"/> makes a run reproducible, and two models get different weights.
    /// </summary>
    /// <param name="inFeatures">Features per input row.</param>
    /// <param name="hidden">The hidden layers' widths, first to last (empty: one Linear layer).</param>
    /// <param name="outFeatures">Outputs per row (classes, for a classifier).</param>
    /// <param name="activation">The activation after every hidden layer.</param>
    /// <param name="device">Where the parameters live; null for <see cref="Device.Default"/>.</param>
    /// <param name="seed">
    /// The seed of the first layer's initialisation (each later layer adds 1000 to it); null draws from the global
    /// generator.
    /// </param>
    /// <example>
    /// A 2 → 16 → 16 → 2 ReLU network and one forward pass:
    /// <code>
    /// using var model = new Mlp(2, [16, 16], 2, device: Device.Cpu);
    /// var logits = model.Forward(Tensor.FromArray([0.5f, -1f], [1, 2], Device.Cpu)); // shape [1, 2]
    /// </code>
    /// </example>
    public Mlp(int inFeatures, int[] hidden, int outFeatures, Activation activation = Activation.Relu,
        Device? device = null, ulong? seed = null)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        var layers = new List<Module>();
        int width = inFeatures;
        ulong? layerSeed = seed;
        foreach (int h in hidden)
        {
            layers.Add(new Linear(width, h, device: device, seed: layerSeed));
            layers.Add(Create(activation));
            width = h;
            layerSeed += 1000;
        }
        layers.Add(new Linear(width, outFeatures, device: device, seed: layerSeed));
        _layers = new Sequential([.. layers]);
        foreach (var (name, module) in _layers.NamedChildren())
        {
            RegisterModule(name, module);
        }
        Activation = activation;
    }

    /// <summary>The hidden activation.</summary>
    public Activation Activation { get; }

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<Module> Layers => _layers.Layers;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => _layers.Forward(input);

    private static Module Create(Activation activation) => activation switch
    {
        Activation.Relu => new Relu(),
        Activation.Tanh => new Tanh(),
        Activation.Sigmoid => new Sigmoid(),
        Activation.Gelu => new Gelu(),
        Activation.LeakyRelu => new LeakyRelu(),
        Activation.Silu => new Silu(),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "unknown activation"),
    };
}
