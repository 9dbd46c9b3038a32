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
    public float Beta1 { get; }

    /// <summary>β₂.</summary>
    public float Beta2 { get; }

    /// <summary>ε.</summary>
    public float Epsilon { get; }

    /// <summary>λ.</summary>
    public float WeightDecay { get; }

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
