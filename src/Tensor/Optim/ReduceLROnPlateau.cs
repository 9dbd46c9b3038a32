namespace MicrogradPlus.Optim;

/// <summary>Whether <see cref="ReduceLROnPlateau"/> watches a metric that should fall (a loss) or rise (accuracy).</summary>
public enum PlateauMode
{
    /// <summary>Lower is better.</summary>
    Min,
    /// <summary>Higher is better.</summary>
    Max,
}

/// <summary>
/// torch.optim.lr_scheduler.ReduceLROnPlateau: after more than <see cref="Patience"/> epochs in a row without
/// improvement of the metric passed to <see cref="Step"/>, the rate is multiplied by <see cref="Factor"/> (not below
/// <see cref="MinLearningRate"/>), and the next <see cref="Cooldown"/> epochs count no bad epochs.
/// </summary>
/// <remarks>
/// Improvement (mode min): a &lt; best·(1 − threshold) with a relative threshold, a &lt; best − threshold with an
/// absolute one; mode max mirrors it (a &gt; best·(1 + threshold), a &gt; best + threshold). A reduction smaller than
/// <see cref="Eps"/> is skipped.
/// </remarks>
public sealed class ReduceLROnPlateau
{
    private readonly Optimizer _optimizer;
    private int _cooldownCounter;

    /// <summary>Watches a metric for <paramref name="optimizer"/> with torch's defaults.</summary>
    /// <param name="optimizer">The optimizer whose learning rate is reduced.</param>
    /// <param name="mode">Whether the metric should fall (default, a loss) or rise (an accuracy).</param>
    /// <param name="factor">The rate is multiplied by this on a plateau, in [0, 1) (default 0.1).</param>
    /// <param name="patience">Epochs without improvement tolerated before a reduction, ≥ 0 (default 10).</param>
    /// <param name="threshold">The smallest change that counts as an improvement, ≥ 0 (default 1e-4).</param>
    /// <param name="relativeThreshold">Read <paramref name="threshold"/> relative to the best value (default) rather
    /// than absolute.</param>
    /// <param name="cooldown">Epochs after a reduction during which bad epochs are not counted, ≥ 0 (default
    /// 0).</param>
    /// <param name="minLearningRate">The rate never goes below this, ≥ 0 (default 0).</param>
    /// <param name="eps">A reduction smaller than this is skipped, ≥ 0 (default 1e-8).</param>
    public ReduceLROnPlateau(Optimizer optimizer, PlateauMode mode = PlateauMode.Min, float factor = 0.1f,
        int patience = 10, float threshold = 1e-4f, bool relativeThreshold = true, int cooldown = 0,
        float minLearningRate = 0f, float eps = 1e-8f)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (!(factor >= 0f && factor < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), $"the factor must be in [0, 1), got {factor}");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        ArgumentOutOfRangeException.ThrowIfNegative(cooldown);
        if (!(threshold >= 0f) || !(minLearningRate >= 0f) || !(eps >= 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold),
                $"threshold ({threshold}), min rate ({minLearningRate}) and eps ({eps}) must be ≥ 0");
        }
        _optimizer = optimizer;
        Mode = mode;
        Factor = factor;
        Patience = patience;
        Threshold = threshold;
        RelativeThreshold = relativeThreshold;
        Cooldown = cooldown;
        MinLearningRate = minLearningRate;
        Eps = eps;
        Best = mode == PlateauMode.Min ? double.PositiveInfinity : double.NegativeInfinity;
    }

    /// <summary>Whether lower or higher is better.</summary>
    public PlateauMode Mode { get; }

    /// <summary>The multiplier of a reduction.</summary>
    public float Factor { get; }

    /// <summary>Bad epochs tolerated before a reduction.</summary>
    public int Patience { get; }

    /// <summary>The least change that counts as an improvement.</summary>
    public float Threshold { get; }

    /// <summary>Whether <see cref="Threshold"/> is relative to the best value (torch's "rel") or absolute ("abs").</summary>
    public bool RelativeThreshold { get; }

    /// <summary>Epochs after a reduction during which bad epochs are not counted.</summary>
    public int Cooldown { get; }

    /// <summary>The rate is never reduced below this.</summary>
    public float MinLearningRate { get; }

    /// <summary>Reductions smaller than this are skipped.</summary>
    public float Eps { get; }

    /// <summary>The best metric seen so far.</summary>
    public double Best { get; private set; }

    /// <summary>Bad epochs since the last improvement or reduction.</summary>
    public int BadEpochs { get; private set; }

    /// <summary>How many times <see cref="Step"/> has been called.</summary>
    public int Epoch { get; private set; }

    /// <summary>Records this epoch's <paramref name="metric"/> and reduces the rate if it has plateaued.</summary>
    /// <param name="metric">This epoch's value of the watched metric, e.g. the validation loss.</param>
    public void Step(double metric)
    {
        Epoch++;
        if (IsBetter(metric))
        {
            Best = metric;
            BadEpochs = 0;
        }
        else
        {
            BadEpochs++;
        }
        if (_cooldownCounter > 0)
        {
            _cooldownCounter--;
            BadEpochs = 0;
        }
        if (BadEpochs > Patience)
        {
            double old = _optimizer.LearningRate;
            double reduced = Math.Max(old * Factor, MinLearningRate);
            if (old - reduced > Eps)
            {
                _optimizer.LearningRate = (float)reduced;
            }
            _cooldownCounter = Cooldown;
            BadEpochs = 0;
        }
    }

    private bool IsBetter(double value) => (Mode, RelativeThreshold) switch
    {
        (PlateauMode.Min, true) => value < Best * (1 - (double)Threshold),
        (PlateauMode.Min, false) => value < Best - Threshold,
        (PlateauMode.Max, true) => value > Best * (1 + (double)Threshold),
        _ => value > Best + Threshold,
    };
}
