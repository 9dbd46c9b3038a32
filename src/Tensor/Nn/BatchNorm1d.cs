using System.Globalization;
using MicrogradPlus.Backends;

namespace MicrogradPlus.Nn;

/// <summary>
/// Batch normalization over a batch of [N, C] or [N, C, L] inputs, as torch.nn.BatchNorm1d. In training mode each
/// channel is normalized with the batch's mean and (biased) variance over N (and L), and the running statistics are
/// updated: running_mean ← (1 − m)·running_mean + m·mean, running_var ← (1 − m)·running_var + m·var·n/(n − 1) (the
/// unbiased variance, as torch), num_batches_tracked += 1; with momentum null, m = 1/num_batches_tracked (a
/// cumulative average). In evaluation mode the running statistics normalize instead. Then y = x̂·weight + bias per
/// channel. State dict names as torch's: weight, bias, running_mean, running_var, num_batches_tracked (a float32
/// buffer here; torch's is int64).
/// </summary>
public sealed class BatchNorm1d : Module
{
    /// <summary>A layer for <paramref name="features"/> channels.</summary>
    /// <param name="features">The number of channels C of inputs [N, C] or [N, C, L] (positive).</param>
    /// <param name="eps">Added to the variance before the square root, ≥ 0 (default 1e-5).</param>
    /// <param name="momentum">The weight m of the new batch in the running statistics, in [0, 1] (default 0.1); null
    /// for a cumulative average.</param>
    /// <param name="affine">Learn a per-channel scale (weight) and shift (bias) (default true).</param>
    /// <param name="trackRunningStats">Keep running statistics for evaluation mode (default true); without them the
    /// batch's statistics are always used.</param>
    /// <param name="device">Where the parameters and buffers live; null for <see cref="Device.Default"/>.</param>
    public BatchNorm1d(int features, float eps = 1e-5f, float? momentum = 0.1f, bool affine = true,
        bool trackRunningStats = true, Device? device = null)
    {
        if (features <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(features), $"BatchNorm1d needs features > 0, got {features}");
        }
        if (!(eps >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(eps), $"BatchNorm1d: eps must be ≥ 0, got {eps}");
        }
        if (momentum is float m && !(m >= 0 && m <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(momentum), $"BatchNorm1d: momentum must be in [0, 1], got {m}");
        }
        Features = features;
        Eps = eps;
        Momentum = momentum;
        var target = device ?? Device.Default;
        if (affine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones([features], target));
            Bias = RegisterParameter("bias", Tensor.Zeros([features], target));
        }
        if (trackRunningStats)
        {
            RunningMean = RegisterBuffer("running_mean", Tensor.Zeros([features], target));
            RunningVar = RegisterBuffer("running_var", Tensor.Ones([features], target));
            NumBatchesTracked = RegisterBuffer("num_batches_tracked", Tensor.Zeros([], target));
        }
    }

    /// <summary>Channels (C).</summary>
    public int Features { get; }

    /// <summary>Added to the variance before the square root.</summary>
    public float Eps { get; }

    /// <summary>The running statistics' update factor; null for a cumulative average.</summary>
    public float? Momentum { get; }

    /// <summary>Scale per channel (ones at first), or null without affine.</summary>
    public Tensor? Weight { get; }

    /// <summary>Shift per channel (zeros at first), or null without affine.</summary>
    public Tensor? Bias { get; }

    /// <summary>The running mean per channel (zeros at first), or null when running statistics are not tracked.</summary>
    public Tensor? RunningMean { get; }

    /// <summary>The running (unbiased) variance per channel (ones at first), or null when not tracked.</summary>
    public Tensor? RunningVar { get; }

    /// <summary>How many training batches updated the running statistics (a scalar), or null when not tracked.</summary>
    public Tensor? NumBatchesTracked { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if ((input.Rank != 2 && input.Rank != 3) || input.ShapeRef[1] != Features)
        {
            throw new ArgumentException(
                $"BatchNorm1d({Features}): expected input of shape (N, {Features}) or (N, {Features}, L), got " +
                Shapes.Format(input.ShapeRef));
        }
        int[] axes = input.Rank == 2 ? [0] : [0, 2];
        // Per-channel tensors [C] broadcast against [N, C] as they are, against [N, C, L] as [C, 1].
        Tensor Channel(Tensor perChannel) => input.Rank == 2 ? perChannel : perChannel.Reshape(Features, 1);
        Tensor y;
        if (Training || RunningMean is null)
        {
            int count = input.Size / Features;
            if (Training && count <= 1)
            {
                throw new ArgumentException(
                    $"BatchNorm1d: expected more than 1 value per channel when training, got input of shape " +
                    Shapes.Format(input.ShapeRef));
            }
            var mean = input.Mean(axes, keepDim: true);
            var centered = input - mean;
            var variance = (centered * centered).Mean(axes, keepDim: true);
            y = centered * (variance + Eps).Pow(-0.5f);
            if (Training && RunningMean is not null)
            {
                UpdateRunningStatistics(mean, variance, count);
            }
        }
        else
        {
            y = (input - Channel(RunningMean)) * (Channel(RunningVar!) + Eps).Pow(-0.5f);
        }
        if (Weight is not null)
        {
            y = y * Channel(Weight) + Channel(Bias!);
        }
        return y;
    }

    private void UpdateRunningStatistics(Tensor mean, Tensor variance, int count)
    {
        using var noGrad = Autograd.NoGrad();
        using var temporaries = Tensor.Scope();
        NumBatchesTracked!.CopyFrom(NumBatchesTracked + 1f);
        var batchMean = mean.Reshape(Features);
        var unbiased = variance.Reshape(Features) * (count / (count - 1f));
        if (Momentum is float m)
        {
            RunningMean!.CopyFrom(RunningMean * (1f - m) + batchMean * m);
            RunningVar!.CopyFrom(RunningVar * (1f - m) + unbiased * m);
        }
        else
        {
            // A cumulative average: x̄ₖ = x̄ₖ₋₁ + (xₖ − x̄ₖ₋₁)/k, k read on the device.
            RunningMean!.CopyFrom(RunningMean + (batchMean - RunningMean) / NumBatchesTracked);
            RunningVar!.CopyFrom(RunningVar + (unbiased - RunningVar) / NumBatchesTracked);
        }
    }

    /// <summary>"4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True", as torch prints it.</summary>
    /// <returns>The layer's settings in torch's format.</returns>
    protected override string ExtraRepr() =>
        string.Create(CultureInfo.InvariantCulture,
            $"{Features}, eps={PythonFloat(Eps)}, momentum={(Momentum is float m ? PythonFloat(m) : "None")}, " +
            $"affine={PythonBool(Weight is not null)}, track_running_stats={PythonBool(RunningMean is not null)}");
}
