using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU;

namespace MicrogradPlus.Kernels;

/// <summary>One parameter's update inside a multi-parameter launch.</summary>
internal interface IUpdateSlot
{
    /// <summary>The first launch index that belongs to this parameter (its element 0).</summary>
    int Start { get; }

    /// <summary>Updates element <paramref name="index"/> of the parameter.</summary>
    void Apply(int index);
}

/// <summary>
/// Up to <see cref="Capacity"/> parameters updated in one launch, as PyTorch's multi-tensor ("foreach") optimizers do:
/// launch index i belongs to the last slot whose <c>Start</c> ≤ i. Unused slots repeat the last used one with
/// <c>Start</c> = int.MaxValue, so they are never chosen. (Kernel parameters are flat structures, so the slots are
/// fields, not an array.)
/// </summary>
internal struct UpdateSlots<TSlot> where TSlot : struct, IUpdateSlot
{
    /// <summary>How many parameters one launch updates.</summary>
    public const int Capacity = 8;

#pragma warning disable CS1591
    public TSlot S0, S1, S2, S3, S4, S5, S6, S7;
#pragma warning restore CS1591

    /// <summary>Sets slot <paramref name="i"/> (host side).</summary>
    public void Set(int i, TSlot slot)
    {
        switch (i)
        {
            case 0: S0 = slot; break;
            case 1: S1 = slot; break;
            case 2: S2 = slot; break;
            case 3: S3 = slot; break;
            case 4: S4 = slot; break;
            case 5: S5 = slot; break;
            case 6: S6 = slot; break;
            case 7: S7 = slot; break;
            default: throw new ArgumentOutOfRangeException(nameof(i), i, $"a launch holds {Capacity} parameters");
        }
    }

    /// <summary>Updates launch index <paramref name="index"/>.</summary>
    public readonly void Apply(int index)
    {
        if (index < S1.Start) S0.Apply(index - S0.Start);
        else if (index < S2.Start) S1.Apply(index - S1.Start);
        else if (index < S3.Start) S2.Apply(index - S2.Start);
        else if (index < S4.Start) S3.Apply(index - S3.Start);
        else if (index < S5.Start) S4.Apply(index - S4.Start);
        else if (index < S6.Start) S5.Apply(index - S5.Start);
        else if (index < S7.Start) S6.Apply(index - S6.Start);
        else S7.Apply(index - S7.Start);
    }
}

/// <summary>One launch over the concatenated elements of up to eight parameters.</summary>
internal struct UpdateBody<TSlot>(UpdateSlots<TSlot> slots) : IElementBody where TSlot : struct, IUpdateSlot
{
    private readonly UpdateSlots<TSlot> _slots = slots;

    /// <inheritdoc/>
    public readonly void Execute(int index) => _slots.Apply(index);
}

/// <summary>
/// SGD with momentum, dampening, Nesterov and L2 weight decay, fused into one pass per parameter (PyTorch's update):
/// g ← grad + λ·p; b ← g on the first step, else μ·b + (1−τ)·g; g ← g + μ·b (Nesterov) or b; p ← p − η·g. One
/// parameter's share of an <see cref="UpdateBody{TSlot}"/> launch, whose indices from <c>Start</c> on are its elements.
/// </summary>
internal struct SgdSlot(ArrayView<float> parameter, ArrayView<float> grad, ArrayView<float> momentumBuffer,
    SgdSettings settings, int start) : IUpdateSlot
{
    private readonly ArrayView<float> _p = parameter, _g = grad, _b = momentumBuffer;
    private readonly SgdSettings _s = settings;

    /// <inheritdoc/>
    public readonly int Start { get; } = start;

    /// <inheritdoc/>
    public readonly void Apply(int index)
    {
        // The momentum buffer is read only where Step uses it (momentum, past the first step: a first step's buffer
        // is unwritten memory) and written only with momentum (without it the gradient stands in, untouched).
        float b = _s.Momentum != 0f && _s.FirstStep == 0 ? _b[index] : 0f;
        _p[index] = Step(_p[index], _g[index], ref b, SgdLanes<float>.Of<ScalarMath>(_s));
        if (_s.Momentum != 0f)
        {
            _b[index] = b;
        }
    }

    /// <summary>
    /// One element's update (TLane float), or one vector's (<see cref="Vector{T}"/> lanes, on the CPU device): the
    /// new value of p, with <paramref name="b"/> (its momentum buffer's element) updated when there is momentum. The
    /// kernel and the CPU device's loop over spans both run it; a lane rounds as the scalar, so they agree bit for bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TLane Step<TLane>(TLane p, TLane g, ref TLane b, in SgdLanes<TLane> s)
        where TLane : IAdditionOperators<TLane, TLane, TLane>, ISubtractionOperators<TLane, TLane, TLane>,
            IMultiplyOperators<TLane, TLane, TLane>
    {
        g += s.WeightDecay * p;
        if (s.HasMomentum != 0)
        {
            // Through a local, so that b, which may be memory, is written once and not read back.
            TLane buffer = s.FirstStep != 0 ? g : s.Momentum * b + s.Undamped * g;
            b = buffer;
            g = s.Nesterov != 0 ? g + s.Momentum * buffer : buffer;
        }
        return p - s.LearningRate * g;
    }
}

/// <summary>
/// An SGD step's scalars on lanes (every lane alike), formed once for a loop over vectors, and 1 − τ with them.
/// </summary>
internal struct SgdLanes<TLane>
{
#pragma warning disable CS1591
    public TLane LearningRate, Momentum, Undamped, WeightDecay;
    public int HasMomentum, Nesterov, FirstStep;
#pragma warning restore CS1591

    /// <summary>The lanes of <paramref name="s"/>.</summary>
    public static SgdLanes<TLane> Of<TMath>(SgdSettings s) where TMath : struct, ILaneMath<TLane, float>
    {
        TMath math = default;
        return new SgdLanes<TLane>
        {
            LearningRate = math.Of(s.LearningRate),
            Momentum = math.Of(s.Momentum),
            Undamped = math.Of(1f - s.Dampening),
            WeightDecay = math.Of(s.WeightDecay),
            HasMomentum = s.Momentum != 0f ? 1 : 0,
            Nesterov = s.Nesterov,
            FirstStep = s.FirstStep,
        };
    }
}

/// <summary>The scalars of one SGD step.</summary>
internal struct SgdSettings
{
#pragma warning disable CS1591
    public float LearningRate, Momentum, Dampening, WeightDecay;
    public int Nesterov, FirstStep;
#pragma warning restore CS1591
}

/// <summary>
/// Adam / AdamW in one pass per parameter, exactly PyTorch's arithmetic: AdamW first decays p ← p·(1 − η·λ); Adam
/// adds λ·p to the gradient instead. m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
/// p ← p − (η/(1−β₁ᵗ))·m / (√v/√(1−β₂ᵗ) + ε). One parameter's share of an <see cref="UpdateBody{TSlot}"/> launch.
/// </summary>
internal struct AdamSlot(ArrayView<float> parameter, ArrayView<float> grad, ArrayView<float> m, ArrayView<float> v,
    AdamSettings settings, int start) : IUpdateSlot
{
    private readonly ArrayView<float> _p = parameter, _g = grad, _m = m, _v = v;
    private readonly AdamSettings _s = settings;

    /// <inheritdoc/>
    public readonly int Start { get; } = start;

    /// <inheritdoc/>
    public readonly void Apply(int index)
    {
        float m = _m[index], v = _v[index];
        _p[index] = Step<float, ScalarMath>(_p[index], _g[index], ref m, ref v, AdamLanes<float>.Of<ScalarMath>(_s));
        _m[index] = m;
        _v[index] = v;
    }

    /// <summary>
    /// One element's update (TLane float), or one vector's (<see cref="Vector{T}"/> lanes, on the CPU device): the
    /// new value of p, with <paramref name="m"/> and <paramref name="v"/> (its moments' elements) updated. Shared by
    /// the kernel and the CPU device's loop over spans, bit for bit as <see cref="SgdSlot.Step{TLane}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TLane Step<TLane, TMath>(TLane p, TLane g, ref TLane m, ref TLane v, in AdamLanes<TLane> s)
        where TLane : IAdditionOperators<TLane, TLane, TLane>, ISubtractionOperators<TLane, TLane, TLane>,
            IMultiplyOperators<TLane, TLane, TLane>, IDivisionOperators<TLane, TLane, TLane>
        where TMath : struct, ILaneMath<TLane, float>
    {
        if (s.Decoupled != 0)
        {
            p *= s.Decay;
        }
        else
        {
            g += s.WeightDecay * p;
        }
        // Through locals, so that m and v, which may be memory, are written once and not read back.
        TLane m1 = s.Beta1 * m + s.Rest1 * g;
        TLane v1 = s.Beta2 * v + s.Rest2 * g * g;
        m = m1;
        v = v1;
        TLane denominator = default(TMath).Sqrt(v1) / s.SqrtBiasCorrection2 + s.Epsilon;
        return p - s.StepSize * m1 / denominator;
    }
}

/// <summary>
/// An Adam step's scalars on lanes (every lane alike), formed once for a loop over vectors, with the products that
/// depend on them alone: AdamW's decay 1 − η·λ, and 1 − β₁, 1 − β₂.
/// </summary>
internal struct AdamLanes<TLane>
{
#pragma warning disable CS1591
    public TLane Decay, WeightDecay, Beta1, Rest1, Beta2, Rest2, SqrtBiasCorrection2, Epsilon, StepSize;
    public int Decoupled;
#pragma warning restore CS1591

    /// <summary>The lanes of <paramref name="s"/>.</summary>
    public static AdamLanes<TLane> Of<TMath>(AdamSettings s) where TMath : struct, ILaneMath<TLane, float>
    {
        TMath math = default;
        return new AdamLanes<TLane>
        {
            Decay = math.Of(1f - s.LearningRate * s.WeightDecay),
            WeightDecay = math.Of(s.WeightDecay),
            Beta1 = math.Of(s.Beta1),
            Rest1 = math.Of(1f - s.Beta1),
            Beta2 = math.Of(s.Beta2),
            Rest2 = math.Of(1f - s.Beta2),
            SqrtBiasCorrection2 = math.Of(s.SqrtBiasCorrection2),
            Epsilon = math.Of(s.Epsilon),
            StepSize = math.Of(s.StepSize),
            Decoupled = s.Decoupled,
        };
    }
}

/// <summary>The scalars of one Adam step (bias corrections precomputed on the host in double).</summary>
internal struct AdamSettings
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
