using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Optim;

/// <summary>
/// Adam (Kingma &amp; Ba) exactly as torch.optim.Adam: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
/// p ← p − (η/(1−β₁ᵗ))·m/(√v/√(1−β₂ᵗ) + ε); weight decay adds λ·p to g (L2). One kernel launch per eight parameters.
/// </summary>
public class Adam : Optimizer
{
    private readonly DeviceBuffer<float>?[] _m;
    private readonly DeviceBuffer<float>?[] _v;
    private readonly int[] _steps;
    private readonly bool _decoupled;

    /// <summary>Adam over <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The tensors to update, usually <see cref="Nn.Module.Parameters"/>; all on one device.</param>
    /// <param name="lr">The learning rate η.</param>
    /// <param name="beta1">β₁, the decay of the gradient's running mean m.</param>
    /// <param name="beta2">β₂, the decay of the squared gradient's running mean v.</param>
    /// <param name="eps">ε, added to √v.</param>
    /// <param name="weightDecay">λ, the L2 penalty added to the gradient.</param>
    /// <example>
    /// <code>
    /// using var model = new Mlp(2, [16, 16], 2, device: Device.Cpu);
    /// using var optimizer = new Adam(model.Parameters(), lr: 0.02f);
    /// </code>
    /// </example>
    public Adam(IEnumerable<Tensor> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f,
        float eps = 1e-8f, float weightDecay = 0f) : this(parameters, lr, beta1, beta2, eps, weightDecay, false)
    {
    }

    /// <summary>Adam or, with <paramref name="decoupled"/>, AdamW.</summary>
    /// <param name="parameters">The tensors to update; all on one device.</param>
    /// <param name="lr">The learning rate η.</param>
    /// <param name="beta1">β₁, the decay of the gradient's running mean.</param>
    /// <param name="beta2">β₂, the decay of the squared gradient's running mean.</param>
    /// <param name="eps">ε, added to √v.</param>
    /// <param name="weightDecay">λ: added to the gradient as λ·p (Adam), or decoupled as p·(1 − η·λ) (AdamW).</param>
    /// <param name="decoupled">AdamW's decoupled weight decay.</param>
    protected Adam(IEnumerable<Tensor> parameters, float lr, float beta1, float beta2, float eps, float weightDecay,
        bool decoupled) : base(parameters, lr)
    {
        if (!(beta1 >= 0f && beta1 < 1f) || !(beta2 >= 0f && beta2 < 1f) || !(eps >= 0f) || !(weightDecay >= 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(beta1),
                $"Adam needs 0 ≤ β₁, β₂ < 1 and ε, weight decay ≥ 0; got β₁={beta1}, β₂={beta2}, ε={eps}, " +
                $"λ={weightDecay}");
        }
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = eps;
        WeightDecay = weightDecay;
        _decoupled = decoupled;
        _m = new DeviceBuffer<float>?[Parameters.Count];
        _v = new DeviceBuffer<float>?[Parameters.Count];
        _steps = new int[Parameters.Count];
    }

    /// <summary>β₁.</summary>
    public float Beta1 { get; private set; }

    /// <summary>β₂.</summary>
    public float Beta2 { get; private set; }

    /// <summary>ε.</summary>
    public float Epsilon { get; private set; }

    /// <summary>λ.</summary>
    public float WeightDecay { get; private set; }

    /// <inheritdoc/>
    private protected override void Update(IReadOnlyList<ParameterUpdate> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var updates = new AdamUpdate[parameters.Count];
        for (int k = 0; k < updates.Length; k++)
        {
            var (index, parameter, grad) = parameters[k];
            var m = _m[index] ??= ZeroState(parameter);
            var v = _v[index] ??= ZeroState(parameter);
            int t = ++_steps[index];
            double biasCorrection1 = 1 - Math.Pow(Beta1, t);
            double biasCorrection2 = 1 - Math.Pow(Beta2, t);
            var settings = new AdamSettings
            {
                LearningRate = LearningRate,
                Beta1 = Beta1,
                Beta2 = Beta2,
                Epsilon = Epsilon,
                WeightDecay = WeightDecay,
                StepSize = (float)(LearningRate / biasCorrection1),
                SqrtBiasCorrection2 = (float)Math.Sqrt(biasCorrection2),
                Decoupled = _decoupled ? 1 : 0,
            };
            updates[k] = new AdamUpdate(parameter, grad, m, v, settings);
        }
        Primitives.AdamSteps(updates);
    }

    /// <inheritdoc/>
    private protected override IEnumerable<(string Name, double[] Values)> HyperParameters() =>
        [("betas", [Beta1, Beta2]), ("eps", [Epsilon]), ("weight_decay", [WeightDecay])];

    /// <inheritdoc/>
    private protected override IEnumerable<string> CheckHyperParameters(IReadOnlyDictionary<string, double[]> values)
    {
        double beta1 = values["betas"][0], beta2 = values["betas"][1];
        double eps = values["eps"][0], weightDecay = values["weight_decay"][0];
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps >= 0) || !(weightDecay >= 0))
        {
            yield return $"Adam needs 0 ≤ β₁, β₂ < 1 and ε, weight decay ≥ 0; got β₁={beta1}, β₂={beta2}, ε={eps}, " +
                         $"λ={weightDecay}";
        }
    }

    /// <inheritdoc/>
    private protected override void SetHyperParameters(IReadOnlyDictionary<string, double[]> values)
    {
        Beta1 = (float)values["betas"][0];
        Beta2 = (float)values["betas"][1];
        Epsilon = (float)values["eps"][0];
        WeightDecay = (float)values["weight_decay"][0];
    }

    /// <inheritdoc/>
    private protected override IReadOnlyList<string> SlotNames { get; } = ["exp_avg", "exp_avg_sq", StepSlot];

    /// <inheritdoc/>
    private protected override IEnumerable<(string Slot, float[] Values)> SlotsOf(int index) =>
        _m[index] is { } m && _v[index] is { } v
            ? [("exp_avg", m.ToArray()), ("exp_avg_sq", v.ToArray()), (StepSlot, [_steps[index]])]
            : [];

    /// <inheritdoc/>
    private protected override void LoadSlots(int index, IReadOnlyDictionary<string, float[]>? slots)
    {
        if (slots is null)
        {
            _m[index]?.Dispose();
            _v[index]?.Dispose();
            _m[index] = _v[index] = null;
            _steps[index] = 0;
            return;
        }
        _m[index] = StateFrom(index, _m[index], slots["exp_avg"]);
        _v[index] = StateFrom(index, _v[index], slots["exp_avg_sq"]);
        _steps[index] = (int)slots[StepSlot][0];
    }

    /// <inheritdoc/>
    /// <param name="disposing">True from <see cref="Optimizer.Dispose()"/>, false from a finalizer.</param>
    protected override void Dispose(bool disposing)
    {
        for (int i = 0; i < _m.Length; i++)
        {
            _m[i]?.Dispose();
            _v[i]?.Dispose();
            _m[i] = _v[i] = null;
        }
    }
}

/// <summary>
/// AdamW (Loshchilov &amp; Hutter) as torch.optim.AdamW: decoupled weight decay p ← p·(1 − η·λ) before the Adam
/// update; default λ = 0.01.
/// </summary>
public sealed class AdamW : Adam
{
    /// <summary>AdamW over <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The tensors to update, usually <see cref="Nn.Module.Parameters"/>; all on one device.</param>
    /// <param name="lr">The learning rate η.</param>
    /// <param name="beta1">β₁, the decay of the gradient's running mean.</param>
    /// <param name="beta2">β₂, the decay of the squared gradient's running mean.</param>
    /// <param name="eps">ε, added to √v.</param>
    /// <param name="weightDecay">λ, the decoupled weight decay.</param>
    public AdamW(IEnumerable<Tensor> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f,
        float eps = 1e-8f, float weightDecay = 0.01f) : base(parameters, lr, beta1, beta2, eps, weightDecay, true)
    {
    }
}
