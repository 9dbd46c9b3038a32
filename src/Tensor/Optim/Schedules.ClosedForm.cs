namespace MicrogradPlus.Optim;

/// <summary>
/// torch.optim.lr_scheduler.LinearLR: η·f(t) with the factor f going linearly from <see cref="StartFactor"/> to
/// <see cref="EndFactor"/> over <see cref="TotalIters"/> steps and staying there:
/// f(t) = s + (e − s)·min(t, T)/T. A warm-up is <c>new LinearLR(optimizer, 0.1f, 1f, warmupSteps)</c>.
/// </summary>
public sealed class LinearLR : LearningRateSchedule
{
    /// <summary>A linear ramp of the factor (torch's defaults: 1/3 → 1 over 5 steps); sets the rate to η·s.</summary>
    /// <param name="optimizer">The optimizer whose learning rate η is scaled.</param>
    /// <param name="startFactor">The factor at step 0, in (0, 1] (default 1/3).</param>
    /// <param name="endFactor">The factor from <paramref name="totalIters"/> on, in [0, 1] (default 1).</param>
    /// <param name="totalIters">The number of steps of the ramp (positive, default 5).</param>
    public LinearLR(Optimizer optimizer, float startFactor = 1f / 3, float endFactor = 1f, int totalIters = 5)
        : base(optimizer)
    {
        if (!(startFactor > 0f && startFactor <= 1f) || !(endFactor >= 0f && endFactor <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(startFactor),
                $"LinearLR needs 0 < start factor ≤ 1 and 0 ≤ end factor ≤ 1; got {startFactor} and {endFactor}");
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(totalIters);
        StartFactor = startFactor;
        EndFactor = endFactor;
        TotalIters = totalIters;
        ApplyRate();
    }

    /// <summary>s, the factor at step 0.</summary>
    public float StartFactor { get; }

    /// <summary>e, the factor from step T on.</summary>
    public float EndFactor { get; }

    /// <summary>T.</summary>
    public int TotalIters { get; }

    /// <inheritdoc/>
    public override double RateAt(int epoch) =>
        BaseLearningRate * (StartFactor + (EndFactor - (double)StartFactor) * Math.Min(epoch, TotalIters) / TotalIters);
}

/// <summary>torch.optim.lr_scheduler.ExponentialLR: η·γᵗ.</summary>
public sealed class ExponentialLR : LearningRateSchedule
{
    /// <summary>Multiplies the rate by <paramref name="gamma"/> every step.</summary>
    /// <param name="optimizer">The optimizer whose learning rate η is scaled.</param>
    /// <param name="gamma">The factor γ applied every step.</param>
    public ExponentialLR(Optimizer optimizer, float gamma) : base(optimizer)
    {
        if (!(gamma > 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(gamma), $"ExponentialLR needs γ > 0, got {gamma}");
        }
        Gamma = gamma;
        ApplyRate();
    }

    /// <summary>γ.</summary>
    public float Gamma { get; }

    /// <inheritdoc/>
    public override double RateAt(int epoch) => BaseLearningRate * Math.Pow(Gamma, epoch);
}

/// <summary>torch.optim.lr_scheduler.LambdaLR: η·λ(t) for a function λ of the step count.</summary>
public sealed class LambdaLR : LearningRateSchedule
{
    private readonly Func<int, double> _factor;

    /// <summary>The rate η·<paramref name="factor"/>(t); sets it to η·λ(0).</summary>
    /// <param name="optimizer">The optimizer whose learning rate η is scaled.</param>
    /// <param name="factor">λ: the factor for a step count t.</param>
    public LambdaLR(Optimizer optimizer, Func<int, double> factor) : base(optimizer)
    {
        ArgumentNullException.ThrowIfNull(factor);
        _factor = factor;
        ApplyRate();
    }

    /// <inheritdoc/>
    public override double RateAt(int epoch) => BaseLearningRate * _factor(epoch);
}
