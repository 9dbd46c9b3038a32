namespace MicrogradPlus.Optim;

/// <summary>
/// torch.optim.lr_scheduler.SequentialLR: schedule k runs from milestone k−1 (0 for the first) until milestone k,
/// restarted at its own step 0 there: rate(t) = schedule_k.RateAt(t − m_{k−1}). The usual warm-up then cosine:
/// <code>
/// var warmup = new LinearLR(optimizer, 0.1f, 1f, 5);
/// var cosine = new CosineSchedule(optimizer, 95);
/// var schedule = new SequentialLR(optimizer, [warmup, cosine], [5]);   // step only this one
/// </code>
/// </summary>
public sealed class SequentialLR : LearningRateSchedule
{
    private readonly LearningRateSchedule[] _schedules;
    private readonly int[] _milestones;

    /// <summary>
    /// Chains <paramref name="schedules"/> (built over <paramref name="optimizer"/>, which share its initial rate) at
    /// the increasing <paramref name="milestones"/>, one fewer than schedules; sets the rate to the first one's start.
    /// </summary>
    /// <param name="optimizer">The optimizer whose learning rate is set.</param>
    /// <param name="schedules">The schedules in order, each built over <paramref name="optimizer"/>.</param>
    /// <param name="milestones">The increasing epochs at which the next schedule takes over.</param>
    public SequentialLR(Optimizer optimizer, LearningRateSchedule[] schedules, int[] milestones) : base(optimizer)
    {
        ArgumentNullException.ThrowIfNull(schedules);
        ArgumentNullException.ThrowIfNull(milestones);
        if (schedules.Length == 0 || milestones.Length != schedules.Length - 1)
        {
            throw new ArgumentException(
                $"SequentialLR needs one milestone fewer than schedules; got {schedules.Length} schedule(s) and " +
                $"{milestones.Length} milestone(s)");
        }
        for (int i = 0; i < schedules.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(schedules[i], nameof(schedules));
            if (!ReferenceEquals(schedules[i].Optimizer, optimizer))
            {
                throw new ArgumentException($"SequentialLR: schedule {i} ({schedules[i].GetType().Name}) sets the " +
                                            "rate of another optimizer");
            }
        }
        for (int i = 0; i < milestones.Length; i++)
        {
            if (milestones[i] <= (i == 0 ? 0 : milestones[i - 1]))
            {
                throw new ArgumentException(
                    $"SequentialLR milestones must be positive and increasing; got [{string.Join(", ", milestones)}]");
            }
        }
        _schedules = [.. schedules];
        _milestones = [.. milestones];
        ApplyRate();
    }

    /// <inheritdoc/>
    public override double RateAt(int epoch)
    {
        int k = 0;
        while (k < _milestones.Length && epoch >= _milestones[k])
        {
            k++;
        }
        return _schedules[k].RateAt(epoch - (k == 0 ? 0 : _milestones[k - 1]));
    }
}
