using ILGPU;

namespace MicrogradPlus.Kernels;

/// <summary>
/// SGD with momentum, dampening, Nesterov and L2 weight decay, fused into one pass per parameter (PyTorch's update):
/// g ← grad + λ·p; b ← g on the first step, else μ·b + (1−τ)·g; g ← g + μ·b (Nesterov) or b; p ← p − η·g.
/// </summary>
public struct SgdBody(ArrayView<float> parameter, ArrayView<float> grad, ArrayView<float> momentumBuffer,
    SgdSettings settings) : IElementBody
{
    private readonly ArrayView<float> _p = parameter, _g = grad, _b = momentumBuffer;
    private readonly SgdSettings _s = settings;

    /// <inheritdoc/>
    public readonly void Execute(int index)
    {
        float p = _p[index];
        float g = _g[index] + _s.WeightDecay * p;
        if (_s.Momentum != 0f)
        {
            float b = _s.FirstStep != 0 ? g : _s.Momentum * _b[index] + (1f - _s.Dampening) * g;
            _b[index] = b;
            g = _s.Nesterov != 0 ? g + _s.Momentum * b : b;
        }
        _p[index] = p - _s.LearningRate * g;
    }
}

/// <summary>The scalars of one SGD step.</summary>
public struct SgdSettings
{
#pragma warning disable CS1591
    public float LearningRate, Momentum, Dampening, WeightDecay;
    public int Nesterov, FirstStep;
#pragma warning restore CS1591
}

/// <summary>
/// Adam / AdamW in one pass per parameter, exactly PyTorch's arithmetic: AdamW first decays p ← p·(1 − η·λ); Adam
/// adds λ·p to the gradient instead. m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
/// p ← p − (η/(1−β₁ᵗ))·m / (√v/√(1−β₂ᵗ) + ε).
/// </summary>
public struct AdamBody(ArrayView<float> parameter, ArrayView<float> grad, ArrayView<float> m, ArrayView<float> v,
    AdamSettings settings) : IElementBody
{
    private readonly ArrayView<float> _p = parameter, _g = grad, _m = m, _v = v;
    private readonly AdamSettings _s = settings;

    /// <inheritdoc/>
    public readonly void Execute(int index)
    {
        float p = _p[index];
        float g = _g[index];
        if (_s.Decoupled != 0)
        {
            p *= 1f - _s.LearningRate * _s.WeightDecay;
        }
        else
        {
            g += _s.WeightDecay * p;
        }
        float m = _s.Beta1 * _m[index] + (1f - _s.Beta1) * g;
        float v = _s.Beta2 * _v[index] + (1f - _s.Beta2) * g * g;
        _m[index] = m;
        _v[index] = v;
        float denominator = MathF.Sqrt(v) / _s.SqrtBiasCorrection2 + _s.Epsilon;
        _p[index] = p - _s.StepSize * m / denominator;
    }
}

/// <summary>The scalars of one Adam step (bias corrections precomputed on the host in double).</summary>
public struct AdamSettings
{
#pragma warning disable CS1591
    public float LearningRate, Beta1, Beta2, Epsilon, WeightDecay;
    /// <summary>η / (1 − β₁ᵗ).</summary>
    public float StepSize;
    /// <summary>√(1 − β₂ᵗ).</summary>
    public float SqrtBiasCorrection2;
    public int Decoupled;
#pragma warning restore CS1591
}
