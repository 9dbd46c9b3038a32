using MicrogradPlus.Backends;

namespace MicrogradPlus.Optim;

/// <summary>
/// The base of the optimizers: the parameters, a settable learning rate, ZeroGrad, and per-parameter state kept on the
/// parameter's device. <see cref="Step"/> updates the parameters with fused kernels, eight parameters per launch, and
/// no host round trip. The update works on device buffers, which are the library's plumbing, so the optimizers are
/// derived inside the library only.
/// </summary>
public abstract partial class Optimizer : IDisposable
{
    private readonly Tensor[] _parameters;
    private bool _disposed;

    /// <summary>Optimizes <paramref name="parameters"/> (float32 tensors that require grad).</summary>
    private protected Optimizer(IEnumerable<Tensor> parameters, float learningRate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = parameters.ToArray();
        if (_parameters.Length == 0)
        {
            throw new ArgumentException("the optimizer got an empty parameter list", nameof(parameters));
        }
        foreach (var p in _parameters)
        {
            if (p.DType != DType.Float32)
            {
                throw new ArgumentException($"optimizers update float32 parameters; got {p.DType} of shape " +
                                            $"{Shapes.Format(p.ShapeRef)}");
            }
        }
        LearningRate = learningRate;
    }

    /// <summary>The learning rate used by the next <see cref="Step"/> (schedules set it).</summary>
    public float LearningRate
    {
        get;
        set
        {
            if (!(value >= 0f) || float.IsInfinity(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), $"learning rate must be ≥ 0 and finite, got {value}");
            }
            field = value;
        }
    }

    /// <summary>How many steps have been taken.</summary>
    public int StepCount { get; private set; }

    /// <summary>The parameters being optimized.</summary>
    public IReadOnlyList<Tensor> Parameters => _parameters;

    /// <summary>Drops every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var p in _parameters)
        {
            p.ZeroGrad();
        }
    }

    /// <summary>
    /// Updates every parameter that has a gradient (parameters without one are skipped, as in PyTorch). Throws
    /// <see cref="ObjectDisposedException"/> after <see cref="Dispose()"/>.
    /// </summary>
    /// <example>
    /// The three lines of a training step, after the forward pass:
    /// <code>
    /// using var optimizer = new Adam(model.Parameters(), lr: 0.01f);
    /// var loss = Functional.CrossEntropy(model.Forward(x), labels);
    /// optimizer.ZeroGrad();
    /// loss.Backward();
    /// optimizer.Step();
    /// </code>
    /// </example>
    public void Step()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (StepRecording.Any is { } recording)
        {
            RecordStep(recording);
            return;
        }
        StepCount++;
        var pending = new List<ParameterUpdate>(_parameters.Length);
        for (int i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            if (p.Grad is not { } grad)
            {
                continue;
            }
            if (!p.IsContiguous || p.Offset != 0 || !grad.IsContiguous || grad.Offset != 0)
            {
                throw new InvalidOperationException(
                    $"parameter {i} of shape {Shapes.Format(p.ShapeRef)}: optimizers need contiguous parameters " +
                    "and gradients");
            }
            pending.Add(new ParameterUpdate(i, p.Storage.Float32!, grad.Storage.Float32 ??
                throw new InvalidOperationException($"parameter {i}: the gradient is not float32")));
        }
        if (pending.Count > 0)
        {
            Update(pending);
            foreach (var update in pending)
            {
                _parameters[update.Index].Storage.BumpVersion(); // an in-place write, as CopyFrom
            }
        }
    }

    /// <summary>
    /// Inside <see cref="CaptureExtensions.Capture"/>: the update depends on the step count (Adam's bias correction,
    /// SGD's first momentum step), so the replay runs <see cref="Step"/> itself, on the gradients the recorded backward
    /// writes. A replay refuses to go on when those gradients were dropped or replaced in between (a ZeroGrad outside
    /// the captured step), since the update would skip or misread them.
    /// </summary>
    private void RecordStep(StepRecording recording)
    {
        var grads = Array.ConvertAll(_parameters, p => p.Grad);
        recording.Record(() =>
        {
            for (int i = 0; i < grads.Length; i++)
            {
                if (!ReferenceEquals(_parameters[i].Grad, grads[i]))
                {
                    throw new InvalidOperationException(
                        $"parameter {i}'s gradient is not the one the captured step writes (was ZeroGrad called " +
                        "outside the step?); a replay writes only the gradients that the captured step wrote");
                }
            }
            Step();
        });
    }

    /// <summary>Frees the optimizer state.</summary>
    public void Dispose()
    {
        _disposed = true; // Step() after this would silently start over from zeroed state
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Fused updates of the parameters that have gradients this step.</summary>
    private protected abstract void Update(IReadOnlyList<ParameterUpdate> parameters);

    /// <summary>Frees the optimizer state.</summary>
    /// <param name="disposing">True from <see cref="Dispose()"/>, false from a finalizer.</param>
    protected abstract void Dispose(bool disposing);

    /// <summary>A state buffer shaped like a parameter, on its device; its contents are undefined.</summary>
    private protected static DeviceBuffer<float> NewState(DeviceBuffer<float> like)
    {
        ArgumentNullException.ThrowIfNull(like);
        return like.Device.Pool.Rent<float>(like.Length);
    }

    /// <summary>A zero-filled state buffer shaped like a parameter, on its device.</summary>
    private protected static DeviceBuffer<float> ZeroState(DeviceBuffer<float> like)
    {
        var state = NewState(like);
        Primitives.Fill(state, 0f);
        return state;
    }
}

/// <summary>A parameter to update this step: its index in the optimizer's list, its memory and its gradient.</summary>
internal readonly record struct ParameterUpdate(int Index, DeviceBuffer<float> Parameter, DeviceBuffer<float> Grad);
