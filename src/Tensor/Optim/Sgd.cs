using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Optim;

/// <summary>
/// Stochastic gradient descent as torch.optim.SGD: g ← ∇ + λ·p; with momentum μ, b ← μ·b + (1−τ)·g (b ← g at first)
/// and g ← b, or g + μ·b with Nesterov; p ← p − η·g. One kernel launch per eight parameters.
/// </summary>
public sealed class Sgd : Optimizer
{
    private readonly DeviceBuffer<float>?[] _momentum;

    /// <summary>SGD over <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The tensors to update, usually <see cref="Nn.Module.Parameters"/>; all on one device.</param>
    /// <param name="lr">The learning rate η.</param>
    /// <param name="momentum">μ; 0 for plain SGD.</param>
    /// <param name="weightDecay">λ, the L2 penalty added to the gradient.</param>
    /// <param name="dampening">τ, the damping of the gradient in the momentum buffer.</param>
    /// <param name="nesterov">Nesterov momentum (needs μ &gt; 0 and τ = 0).</param>
    /// <example>
    /// <code>
    /// using var optimizer = new Sgd(model.Parameters(), lr: 0.1f, momentum: 0.9f);
    /// </code>
    /// </example>
    public Sgd(IEnumerable<Tensor> parameters, float lr, float momentum = 0f, float weightDecay = 0f,
        float dampening = 0f, bool nesterov = false) : base(parameters, lr)
    {
        if (momentum < 0f || weightDecay < 0f)
        {
            throw new ArgumentOutOfRangeException(nameof(momentum),
                $"momentum ({momentum}) and weight decay ({weightDecay}) must be ≥ 0");
        }
        if (nesterov && (momentum <= 0f || dampening != 0f))
        {
            throw new ArgumentException("Nesterov momentum requires momentum > 0 and zero dampening");
        }
        Momentum = momentum;
        WeightDecay = weightDecay;
        Dampening = dampening;
        Nesterov = nesterov;
        _momentum = new DeviceBuffer<float>?[Parameters.Count];
    }

    /// <summary>μ.</summary>
    public float Momentum { get; private set; }

    /// <summary>λ (L2 penalty added to the gradient).</summary>
    public float WeightDecay { get; private set; }

    /// <summary>τ.</summary>
    public float Dampening { get; private set; }

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; private set; }

    /// <inheritdoc/>
    private protected override void Update(IReadOnlyList<ParameterUpdate> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var updates = new SgdUpdate[parameters.Count];
        for (int k = 0; k < updates.Length; k++)
        {
            var (index, parameter, grad) = parameters[k];
            // A parameter's momentum buffer exists from its first step on (the kernel reads FirstStep only when there
            // is momentum).
            var settings = new SgdSettings
            {
                LearningRate = LearningRate,
                Momentum = Momentum,
                Dampening = Dampening,
                WeightDecay = WeightDecay,
                Nesterov = Nesterov ? 1 : 0,
                FirstStep = _momentum[index] is null ? 1 : 0,
            };
            // The first step writes the momentum buffer without reading it, so it needs no zeroing; without momentum
            // the kernel never touches it, and the gradient stands in.
            var buffer = Momentum != 0f ? _momentum[index] ??= NewState(parameter) : grad;
            updates[k] = new SgdUpdate(parameter, grad, buffer, settings);
        }
        Primitives.SgdSteps(updates);
    }

    /// <inheritdoc/>
    private protected override IEnumerable<(string Name, double[] Values)> HyperParameters() =>
    [
        ("momentum", [Momentum]), ("dampening", [Dampening]), ("weight_decay", [WeightDecay]),
        ("nesterov", [Nesterov ? 1 : 0]),
    ];

    /// <inheritdoc/>
    private protected override IEnumerable<string> CheckHyperParameters(IReadOnlyDictionary<string, double[]> values)
    {
        double momentum = values["momentum"][0], weightDecay = values["weight_decay"][0];
        bool nesterov = values["nesterov"][0] != 0;
        if (!(momentum >= 0) || !(weightDecay >= 0))
        {
            yield return $"momentum ({momentum}) and weight decay ({weightDecay}) must be ≥ 0";
        }
        if (nesterov && (momentum <= 0 || values["dampening"][0] != 0))
        {
            yield return "Nesterov momentum requires momentum > 0 and zero dampening";
        }
    }

    /// <inheritdoc/>
    private protected override void SetHyperParameters(IReadOnlyDictionary<string, double[]> values)
    {
        Momentum = (float)values["momentum"][0];
        Dampening = (float)values["dampening"][0];
        WeightDecay = (float)values["weight_decay"][0];
        Nesterov = values["nesterov"][0] != 0;
    }

    /// <inheritdoc/>
    private protected override IReadOnlyList<string> SlotNames { get; } = ["momentum_buffer"];

    /// <inheritdoc/>
    private protected override IEnumerable<(string Slot, float[] Values)> SlotsOf(int index) =>
        _momentum[index] is { } buffer ? [("momentum_buffer", buffer.ToArray())] : [];

    /// <inheritdoc/>
    private protected override void LoadSlots(int index, IReadOnlyDictionary<string, float[]>? slots)
    {
        if (slots is null || Momentum == 0f)
        {
            // Without momentum the buffer is never read (PyTorch keeps None there).
            _momentum[index]?.Dispose();
            _momentum[index] = null;
            return;
        }
        _momentum[index] = StateFrom(index, _momentum[index], slots["momentum_buffer"]);
    }

    /// <inheritdoc/>
    /// <param name="disposing">True from <see cref="Optimizer.Dispose()"/>, false from a finalizer.</param>
    protected override void Dispose(bool disposing)
    {
        for (int i = 0; i < _momentum.Length; i++)
        {
            _momentum[i]?.Dispose();
            _momentum[i] = null;
        }
    }
}
