namespace MicrogradPlus.Optim;

/// <summary>How <see cref="OneCycleLR"/> moves between two rates within a phase.</summary>
public enum AnnealStrategy
{
    /// <summary>end + (start − end)·(1 + cos(π·p))/2.</summary>
    Cos,
    /// <summary>start + (end − start)·p.</summary>
    Linear,
}

/// <summary>
/// torch.optim.lr_scheduler.OneCycleLR (Smith's 1cycle policy), stepped once per batch: the rate rises from
/// η_max/<see cref="DivFactor"/> to η_max over the first <see cref="PctStart"/> of <see cref="TotalSteps"/>, then
/// anneals to η_max/(div·<see cref="FinalDivFactor"/>); with <see cref="ThreePhase"/> it first comes back down to
/// the starting rate symmetrically, then anneals. Phase k ends at step pct·T−1 (k = 1), 2·pct·T−2 (k = 2 of three)
/// and T−1; within a phase from step a to b the progress is p = (t − a)/(b − a).
/// </summary>
/// <remarks>
/// The optimizer's momentum (or Adam's β₁) is not cycled: this is torch's schedule with <c>cycle_momentum=False</c>.
/// The optimizer's own rate is ignored; building the schedule sets it to η_max/div.
/// </remarks>
public sealed class OneCycleLR : LearningRateSchedule
{
    private readonly (double EndStep, double StartRate, double EndRate)[] _phases;

    /// <summary>One cycle of <paramref name="totalSteps"/> steps peaking at <paramref name="maxLearningRate"/>.</summary>
    /// <param name="optimizer">The optimizer whose learning rate is set; its own rate is ignored.</param>
    /// <param name="maxLearningRate">The peak rate η_max (positive).</param>
    /// <param name="totalSteps">The number of steps in the cycle (positive): epochs × batches per epoch.</param>
    /// <param name="pctStart">The share of the cycle spent rising, strictly between 0 and 1 (default 0.3).</param>
    /// <param name="annealStrategy">How the rate moves within a phase (default cosine).</param>
    /// <param name="divFactor">The starting rate is η_max / divFactor (default 25).</param>
    /// <param name="finalDivFactor">The final rate is the starting rate / finalDivFactor (default 1e4).</param>
    /// <param name="threePhase">Come back down to the starting rate before the final anneal (default false).</param>
    public OneCycleLR(Optimizer optimizer, float maxLearningRate, int totalSteps, float pctStart = 0.3f,
        AnnealStrategy annealStrategy = AnnealStrategy.Cos, float divFactor = 25f, float finalDivFactor = 1e4f,
        bool threePhase = false) : base(optimizer)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(totalSteps);
        if (!(pctStart > 0f && pctStart < 1f) || !(maxLearningRate > 0f) || !(divFactor > 0f) ||
            !(finalDivFactor > 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(pctStart),
                $"OneCycleLR needs 0 < pct_start < 1 and positive max rate and factors; got pct_start={pctStart}, " +
                $"max_lr={maxLearningRate}, div_factor={divFactor}, final_div_factor={finalDivFactor}");
        }
        MaxLearningRate = maxLearningRate;
        TotalSteps = totalSteps;
        PctStart = pctStart;
        Anneal = annealStrategy;
        DivFactor = divFactor;
        FinalDivFactor = finalDivFactor;
        ThreePhase = threePhase;
        // torch computes in Python floats (double) from these float arguments.
        double max = maxLearningRate, initial = max / divFactor, min = initial / finalDivFactor;
        double warm = (double)pctStart * totalSteps;
        _phases = threePhase
            ? [(warm - 1, initial, max), (2 * warm - 2, max, initial), (totalSteps - 1, initial, min)]
            : [(warm - 1, initial, max), (totalSteps - 1, max, min)];
        optimizer.InitialLearningRate = (float)initial;
        ApplyRate();
    }

    /// <summary>η_max.</summary>
    public float MaxLearningRate { get; }

    /// <summary>T, the number of steps in the cycle.</summary>
    public int TotalSteps { get; }

    /// <summary>The fraction of the cycle spent rising.</summary>
    public float PctStart { get; }

    /// <summary>How the rate moves within a phase.</summary>
    public AnnealStrategy Anneal { get; }

    /// <summary>η_max / starting rate.</summary>
    public float DivFactor { get; }

    /// <summary>Starting rate / final rate.</summary>
    public float FinalDivFactor { get; }

    /// <summary>Whether the rate comes back to the starting rate before the final annealing.</summary>
    public bool ThreePhase { get; }

    /// <inheritdoc/>
    public override double RateAt(int epoch)
    {
        if (epoch < 0 || epoch > TotalSteps)
        {
            throw new ArgumentOutOfRangeException(nameof(epoch),
                $"OneCycleLR was built for {TotalSteps} steps; step {epoch} is outside the cycle");
        }
        double start = 0;
        for (int i = 0; i < _phases.Length; i++)
        {
            var (end, from, to) = _phases[i];
            if (epoch <= end || i == _phases.Length - 1)
            {
                double pct = (epoch - start) / (end - start);
                return Anneal == AnnealStrategy.Cos
                    ? to + (from - to) / 2 * (Math.Cos(Math.PI * pct) + 1)
                    : (to - from) * pct + from;
            }
            start = end;
        }
        throw new InvalidOperationException("unreachable: the last phase always matches");
    }
}
