namespace MicrogradPlus.Optim;

/// <summary>
/// A learning-rate schedule: call <see cref="Step"/> once per epoch (or step), after the optimizer's. As in PyTorch,
/// the first schedule built over an optimizer records its rate as the initial rate (torch's <c>initial_lr</c>), which
/// every later schedule over that optimizer starts from, and a schedule whose rate at epoch 0 is not that rate
/// (<see cref="LinearLR"/>, <see cref="OneCycleLR"/>, …) sets it when built.
/// </summary>
public abstract class LearningRateSchedule
{
    private readonly Optimizer _optimizer;

    /// <summary>A schedule starting from the optimizer's current learning rate.</summary>
    /// <param name="optimizer">The optimizer whose learning rate the schedule sets.</param>
    protected LearningRateSchedule(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        _optimizer = optimizer;
        BaseLearningRate = optimizer.InitialLearningRate ??= optimizer.LearningRate;
    }

    /// <summary>The learning rate at step 0.</summary>
    public float BaseLearningRate { get; }

    /// <summary>How many times <see cref="Step"/> has been called.</summary>
    public int Epoch { get; private set; }

    /// <summary>Advances one epoch and sets the optimizer's learning rate.</summary>
    public void Step()
    {
        Epoch++;
        _optimizer.LearningRate = (float)RateAt(Epoch);
    }

    /// <summary>The learning rate after <paramref name="epoch"/> steps.</summary>
    /// <param name="epoch">The number of steps taken (0 at the start).</param>
    /// <returns>The learning rate.</returns>
    public abstract double RateAt(int epoch);

    /// <summary>The optimizer whose rate this schedule sets.</summary>
    public Optimizer Optimizer => _optimizer;

    /// <summary>Sets the optimizer's rate to <c>RateAt(Epoch)</c> (constructors call it once their fields are set).</summary>
    protected void ApplyRate() => _optimizer.LearningRate = (float)RateAt(Epoch);
}

/// <summary>torch.optim.lr_scheduler.StepLR: η·γ^⌊epoch/stepSize⌋.</summary>
public sealed class StepSchedule : LearningRateSchedule
{
    /// <summary>Multiplies the rate by <paramref name="gamma"/> every <paramref name="stepSize"/> epochs.</summary>
    /// <param name="optimizer">The optimizer whose learning rate η is scaled.</param>
    /// <param name="stepSize">Epochs between reductions (positive).</param>
    /// <param name="gamma">The factor applied every <paramref name="stepSize"/> epochs (default 0.1).</param>
    public StepSchedule(Optimizer optimizer, int stepSize, float gamma = 0.1f) : base(optimizer)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepSize);
        StepSize = stepSize;
        Gamma = gamma;
    }

    /// <summary>Epochs between decays.</summary>
    public int StepSize { get; }

    /// <summary>The decay factor.</summary>
    public float Gamma { get; }

    /// <inheritdoc/>
    public override double RateAt(int epoch) => BaseLearningRate * Math.Pow(Gamma, epoch / StepSize);
}

/// <summary>torch.optim.lr_scheduler.CosineAnnealingLR (closed form): η_min + (η − η_min)(1 + cos(π·t/T))/2.</summary>
public sealed class CosineSchedule : LearningRateSchedule
{
    /// <summary>Anneals from the optimizer's rate to <paramref name="minLearningRate"/> over <paramref name="maxEpochs"/>.</summary>
    /// <param name="optimizer">The optimizer whose learning rate is annealed; its rate is the starting one.</param>
    /// <param name="maxEpochs">The number of epochs of the anneal (positive).</param>
    /// <param name="minLearningRate">The rate at the end (default 0).</param>
    public CosineSchedule(Optimizer optimizer, int maxEpochs, float minLearningRate = 0f) : base(optimizer)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxEpochs);
        MaxEpochs = maxEpochs;
        MinLearningRate = minLearningRate;
    }

    /// <summary>T.</summary>
    public int MaxEpochs { get; }

    /// <summary>η_min.</summary>
    public float MinLearningRate { get; }

    /// <inheritdoc/>
    public override double RateAt(int epoch) =>
        MinLearningRate + (BaseLearningRate - MinLearningRate) *
        (1 + Math.Cos(Math.PI * Math.Min(epoch, MaxEpochs) / MaxEpochs)) / 2;
}
