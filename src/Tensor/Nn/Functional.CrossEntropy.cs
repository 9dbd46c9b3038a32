using MicrogradPlus.Backends;

namespace MicrogradPlus.Nn;

public static partial class Functional
{
    /// <summary>
    /// Cross-entropy of <paramref name="logits"/> [N, C] (or [N, C, d₁, …]) against <paramref name="target"/>, with
    /// PyTorch's options (torch.nn.functional.cross_entropy). An Int32 target [N] (or [N, d₁, …]) holds class indices;
    /// a float target of the logits' shape holds class probabilities (soft targets).
    /// </summary>
    /// <remarks>
    /// <para>
    /// With p = log_softmax(logits) over the class axis and class indices tᵢ: lᵢ = −w[tᵢ]·p[i, tᵢ], where w is
    /// <paramref name="weight"/> (1 without), and lᵢ = 0 for a target equal to <paramref name="ignoreIndex"/>.
    /// "mean" is Σlᵢ / Σᵢ w[tᵢ] over the targets not ignored (a weighted mean, NaN when all are ignored), "sum" is Σlᵢ,
    /// "none" gives lᵢ. Label smoothing ε mixes in the uniform distribution: (1 − ε)·l + (ε/C)·s with
    /// sᵢ = −Σ_c w[c]·p[i, c] (0 when ignored), reduced the same way (its mean divides by the same Σ w[tᵢ]).
    /// </para>
    /// <para>
    /// With probabilities q: lᵢ = −Σ_c w[c]·q'[i, c]·p[i, c], q' = (1 − ε)·q + ε/C; "mean" divides by the number of
    /// samples (N·d₁·…), whatever the weights; <paramref name="ignoreIndex"/> does not apply.
    /// </para>
    /// <para>
    /// All of it is differentiable tensor ops (∂/∂logits of the plain case is (softmax − onehot)/N), except the plain
    /// case — index targets, no weight, nothing ignored, mean, no smoothing, [N, C] logits — which runs the fused
    /// kernel of <see cref="CrossEntropy(Tensor, int[])"/>. The targets are read back once to check their range.
    /// </para>
    /// </remarks>
    /// <param name="logits">Unnormalized scores [N, C] or [N, C, d₁, …].</param>
    /// <param name="target">Int32 class indices [N] (or [N, d₁, …]), or float class probabilities of the logits'
    /// shape.</param>
    /// <param name="weight">A weight per class [C], or null (default) for 1.</param>
    /// <param name="ignoreIndex">A class index target whose samples contribute nothing (default −100); index targets
    /// only.</param>
    /// <param name="reduction">"mean" (default), "sum" or "none" (one loss per sample).</param>
    /// <param name="labelSmoothing">ε in [0, 1]: the share of the uniform distribution mixed into the targets (default
    /// 0).</param>
    /// <returns>A zero-dimensional loss for "mean" and "sum"; for "none" one loss per sample, [N] (or [N, d₁,
    /// …]).</returns>
    /// <exception cref="ArgumentException">
    /// Shapes that do not fit (both named), an unknown reduction, a smoothing outside [0, 1], or a weight that is not [C].
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException">A class index outside [0, C) that is not the ignore index.</exception>
    public static Tensor CrossEntropy(Tensor logits, Tensor target, Tensor? weight = null, int ignoreIndex = -100,
        string reduction = "mean", float labelSmoothing = 0f)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(target);
        CheckReduction(reduction, "CrossEntropy");
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f))
        {
            throw new ArgumentException($"CrossEntropy: labelSmoothing must lie in [0, 1], got {labelSmoothing}",
                nameof(labelSmoothing));
        }
        int classes = CheckClassInput(logits, weight, "CrossEntropy");
        if (target.DType != DType.Int32)
        {
            return SoftCrossEntropy(logits, target, weight, reduction, labelSmoothing, classes);
        }
        bool plain = weight is null && reduction == "mean" && labelSmoothing == 0f && logits.Rank == 2;
        if (StepRecording.For(logits.Device) is { } recording)
        {
            return CapturedCrossEntropy(logits, target, ignoreIndex, classes, plain, recording);
        }
        int[] labels = CheckLabels(logits, target, ignoreIndex, classes, "CrossEntropy");
        if (plain && Array.IndexOf(labels, ignoreIndex) < 0)
        {
            // The indices are converted on the device; the read-back above is only the range check.
            return Tensor.CrossEntropy(logits, target.To(logits.DType));
        }
        var logp = logits.LogSoftmax(1);
        var (perSample, weights, mask) = Nll(logp, target, labels, weight, ignoreIndex);
        var loss = Reduce(perSample, weights, reduction);
        if (labelSmoothing == 0f)
        {
            return loss;
        }
        var smooth = -(weight is null ? logp : logp * ClassView(weight, logits.Rank)).Sum(1) * mask;
        var smoothLoss = Reduce(smooth, weight is null ? mask : weights, reduction);
        return loss * (1f - labelSmoothing) + smoothLoss * (labelSmoothing / classes);
    }

    /// <summary>
    /// Negative log-likelihood of log-probabilities <paramref name="input"/> [N, C] (or [N, C, d₁, …]) against Int32
    /// class indices, as torch.nn.functional.nll_loss: lᵢ = −w[tᵢ]·input[i, tᵢ], 0 for ignored targets.
    /// </summary>
    /// <remarks>
    /// "mean" is Σlᵢ / Σᵢ w[tᵢ] over the targets not ignored (NaN when all are), "sum" Σlᵢ, "none" lᵢ.
    /// ∂L/∂input[i, c] = −w[tᵢ]·[c = tᵢ] (÷ Σ w for the mean): a gather, whose gradient is a scatter-add.
    /// </remarks>
    /// <param name="input">Log-probabilities [N, C] or [N, C, d₁, …], e.g. from
    /// <see cref="Tensor.LogSoftmax"/>.</param>
    /// <param name="target">Int32 class indices [N] (or [N, d₁, …]).</param>
    /// <param name="weight">A weight per class [C], or null (default) for 1.</param>
    /// <param name="ignoreIndex">A target value whose samples contribute nothing (default −100).</param>
    /// <param name="reduction">"mean" (default), "sum" or "none" (one loss per sample).</param>
    /// <returns>A zero-dimensional loss for "mean" and "sum"; for "none" a tensor of the target's shape.</returns>
    /// <exception cref="ArgumentException">Shapes that do not fit, an unknown reduction, or a weight that is not [C].</exception>
    /// <exception cref="ArgumentOutOfRangeException">A class index outside [0, C) that is not the ignore index.</exception>
    public static Tensor NllLoss(Tensor input, Tensor target, Tensor? weight = null, int ignoreIndex = -100,
        string reduction = "mean")
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        CheckReduction(reduction, "NllLoss");
        int classes = CheckClassInput(input, weight, "NllLoss");
        int[] labels = CheckLabels(input, target, ignoreIndex, classes, "NllLoss");
        var (perSample, weights, _) = Nll(input, target, labels, weight, ignoreIndex);
        return Reduce(perSample, weights, reduction);
    }

    /// <summary>
    /// The plain cross-entropy inside a captured step, where the labels cannot be read now: they change between
    /// replays. Each replay reads them first, on the host, and raises what the eager call would (a label out of
    /// range), or refuses a label equal to the ignore index, since the recorded kernel does not skip samples.
    /// </summary>
    private static Tensor CapturedCrossEntropy(Tensor logits, Tensor target, int ignoreIndex, int classes, bool plain,
        StepRecording recording)
    {
        if (!plain)
        {
            throw recording.Refuse("CrossEntropy with class weights, label smoothing, a reduction other than \"mean\" " +
                                   "or more than two dimensions reads its labels on the host: a captured step can " +
                                   "hold only the plain form");
        }
        CheckTargetShape(logits, target, "CrossEntropy");
        recording.Record(() =>
        {
            int[] labels = ReadLabels(target, ignoreIndex, classes, "CrossEntropy");
            int ignored = Array.IndexOf(labels, ignoreIndex);
            if (ignored >= 0)
            {
                throw new InvalidOperationException(
                    $"CrossEntropy: target {ignoreIndex} at position {ignored} is the ignore index, which the " +
                    "captured step was not recorded to skip; replay it without ignored samples, or run it eagerly");
            }
        });
        return Tensor.CrossEntropy(logits, target.To(logits.DType));
    }

    /// <summary>lᵢ = −w[tᵢ]·logp[i, tᵢ] (0 where ignored), with the weights w[tᵢ]·maskᵢ and the mask.</summary>
    private static (Tensor PerSample, Tensor Weights, Tensor Mask) Nll(Tensor logp, Tensor target, int[] labels,
        Tensor? weight, int ignoreIndex)
    {
        var safe = Array.ConvertAll(labels, t => t == ignoreIndex ? 0 : t);
        var keep = Array.ConvertAll(labels, t => t == ignoreIndex ? 0d : 1d);
        int[] shape = target.Shape;
        var safeTarget = Tensor.FromArray(safe, shape, logp.Device);
        var mask = Tensor.FromArray(keep, shape, logp.Device).To(logp.DType);
        var picked = logp.Gather(1, safeTarget.Unsqueeze(1)).Squeeze(1);
        var weights = weight is null ? mask : weight.IndexSelect(0, safeTarget.Reshape(-1)).Reshape(shape) * mask;
        return (-picked * weights, weights, mask);
    }

    private static Tensor SoftCrossEntropy(Tensor logits, Tensor target, Tensor? weight, string reduction,
        float labelSmoothing, int classes)
    {
        RequireSameShape(logits, target, "CrossEntropy with probability targets");
        Tensor.CheckCompatible(logits, target, "CrossEntropy");
        var logp = logits.LogSoftmax(1);
        var q = labelSmoothing == 0f ? target : target * (1f - labelSmoothing) + labelSmoothing / classes;
        var product = logp * q;
        var perSample = -(weight is null ? product : product * ClassView(weight, logits.Rank)).Sum(1);
        return reduction switch
        {
            "mean" => perSample.Mean(),
            "sum" => perSample.Sum(),
            _ => perSample,
        };
    }

    /// <summary>"mean": Σ loss / Σ weights; "sum": Σ loss; "none": the loss per sample.</summary>
    private static Tensor Reduce(Tensor perSample, Tensor weights, string reduction) => reduction switch
    {
        "mean" => perSample.Sum() / weights.Sum(),
        "sum" => perSample.Sum(),
        _ => perSample,
    };

    /// <summary>The class weights [C] as [1, C, 1, …] to broadcast over logits of <paramref name="rank"/>.</summary>
    private static Tensor ClassView(Tensor weight, int rank)
    {
        var shape = Enumerable.Repeat(1, rank).ToArray();
        shape[1] = weight.ShapeRef[0];
        return weight.Reshape(shape);
    }

    private static void CheckReduction(string reduction, string what)
    {
        if (reduction is not ("mean" or "sum" or "none"))
        {
            throw new ArgumentException($"{what}: reduction must be \"mean\", \"sum\" or \"none\", got \"{reduction}\"",
                nameof(reduction));
        }
    }

    /// <summary>Checks logits [N, C, …] and a weight [C]; returns C.</summary>
    private static int CheckClassInput(Tensor input, Tensor? weight, string what)
    {
        if (input.Rank < 2)
        {
            throw new ArgumentException(
                $"{what} expects input of shape [N, C] or [N, C, d1, ...], got {Shapes.Format(input.ShapeRef)}");
        }
        int classes = input.ShapeRef[1];
        if (weight is not null && (weight.Rank != 1 || weight.ShapeRef[0] != classes))
        {
            throw new ArgumentException($"{what}: weight of shape {Shapes.Format(weight.ShapeRef)} must be " +
                                        $"[{classes}], one per class of input {Shapes.Format(input.ShapeRef)}");
        }
        if (weight is not null)
        {
            Tensor.CheckCompatible(input, weight, what);
        }
        return classes;
    }

    /// <summary>Checks an Int32 target [N, d₁, …] against input [N, C, d₁, …]; returns its values, read back.</summary>
    private static int[] CheckLabels(Tensor input, Tensor target, int ignoreIndex, int classes, string what)
    {
        CheckTargetShape(input, target, what);
        return ReadLabels(target, ignoreIndex, classes, what);
    }

    /// <summary>The Int32 target's values, read back, each checked to be a class index or the ignore index.</summary>
    private static int[] ReadLabels(Tensor target, int ignoreIndex, int classes, string what)
    {
        var labels = target.ToInt32Array();
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] != ignoreIndex && (labels[i] < 0 || labels[i] >= classes))
            {
                throw new ArgumentOutOfRangeException(nameof(target),
                    $"{what}: target {labels[i]} at position {i} is outside [0, {classes}) and is not the ignore " +
                    $"index {ignoreIndex}");
            }
        }
        return labels;
    }

    /// <summary>Checks that an Int32 target [N, d₁, …] fits input [N, C, d₁, …] and lives on its device.</summary>
    private static void CheckTargetShape(Tensor input, Tensor target, string what)
    {
        var expected = input.ShapeRef.Where((_, d) => d != 1).ToArray();
        if (!target.ShapeRef.AsSpan().SequenceEqual(expected))
        {
            throw new ArgumentException($"{what}: target of shape {Shapes.Format(target.ShapeRef)} does not fit input " +
                                        $"{Shapes.Format(input.ShapeRef)}: it must be {Shapes.Format(expected)}");
        }
        if (!ReferenceEquals(target.Device, input.Device))
        {
            throw new ArgumentException(
                $"{what}: target is on {target.Device} but input on {input.Device}; move one with To(device)");
        }
    }
}
