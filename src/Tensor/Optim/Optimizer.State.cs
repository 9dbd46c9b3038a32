using System.Globalization;
using MicrogradPlus.Backends;

namespace MicrogradPlus.Optim;

// State dicts: the optimizer's state as a flat name → tensor map laid out like torch.optim.Optimizer.state_dict().
public abstract partial class Optimizer
{
    /// <summary>The prefix of the hyper-parameter keys (one parameter group, as torch's param_groups[0]).</summary>
    public const string GroupPrefix = "param_groups.0.";

    /// <summary>
    /// The optimizer's state as new tensors, keyed as PyTorch's <c>optimizer.state_dict()</c> flattened with dots:
    /// <c>param_groups.0.lr</c>, <c>param_groups.0.params</c> (the parameter indices 0…n−1), the optimizer's
    /// hyper-parameters (<c>param_groups.0.momentum</c>, <c>param_groups.0.betas</c>, …), <c>param_groups.0.step_count</c>
    /// (<see cref="StepCount"/>; not in PyTorch), <c>param_groups.0.initial_lr</c> once a schedule is attached, and per parameter i that has state <c>state.{i}.{slot}</c>
    /// (<c>momentum_buffer</c> for SGD with momentum; <c>exp_avg</c>, <c>exp_avg_sq</c> and <c>step</c> for Adam and
    /// AdamW).
    /// </summary>
    /// <remarks>
    /// Hyper-parameters are float64 tensors on the CPU (a zero-dimensional one, or [2] for betas), <c>step</c> a
    /// zero-dimensional float32 tensor on the CPU (as in PyTorch), the other slots float32 copies shaped like their
    /// parameter on its device. The caller owns the tensors (they live in the current tensor scope, if any).
    /// Save them with <see cref="Nn.Safetensors"/> or <see cref="Nn.Checkpoint"/>.
    /// </remarks>
    /// <returns>A new dictionary of new tensors, keyed as described above.</returns>
    public Dictionary<string, Tensor> StateDict()
    {
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            state.Add(GroupPrefix + "lr", Tensor.FromArray([(double)LearningRate], [], Device.Cpu));
            state.Add(GroupPrefix + "params", Tensor.FromArray(
                Enumerable.Range(0, _parameters.Length).Select(i => (double)i).ToArray(), [_parameters.Length],
                Device.Cpu));
            state.Add(GroupPrefix + "step_count", Tensor.FromArray([(double)StepCount], [], Device.Cpu));
            if (InitialLearningRate is { } initial)
            {
                state.Add(GroupPrefix + "initial_lr", Tensor.FromArray([(double)initial], [], Device.Cpu));
            }
            foreach (var (name, values) in HyperParameters())
            {
                state.Add(GroupPrefix + name, Tensor.FromArray(values, values.Length == 1 ? [] : [values.Length],
                    Device.Cpu));
            }
            for (int i = 0; i < _parameters.Length; i++)
            {
                foreach (var (slot, values) in SlotsOf(i))
                {
                    state.Add(SlotKey(i, slot), slot == StepSlot
                        ? Tensor.FromArray(values, [], Device.Cpu)
                        : Tensor.FromArray(values, _parameters[i].Shape, _parameters[i].Device));
                }
            }
        }
        catch
        {
            foreach (var tensor in state.Values)
            {
                tensor.Dispose();
            }
            throw;
        }
        return state;
    }

    /// <summary>
    /// Restores the state written by <see cref="StateDict"/> (this optimizer's or another one's of the same kind over
    /// parameters of the same shapes): the learning rate, the hyper-parameters, the step count and each parameter's
    /// slots, copied into this optimizer's own buffers. A parameter without slots in <paramref name="state"/> starts
    /// afresh, as in PyTorch. Everything is checked before anything changes: a wrong parameter count, a missing or
    /// unexpected key, a slot of the wrong shape or an incomplete set of slots throws an
    /// <see cref="ArgumentException"/> listing every problem.
    /// </summary>
    /// <param name="state">A state dict from <see cref="StateDict"/>, possibly loaded from a file.</param>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var problems = new List<string>();
        var known = new HashSet<string>(StringComparer.Ordinal);
        double? Scalar(string key, bool required, int length = 1)
        {
            known.Add(key);
            if (!state.TryGetValue(key, out var tensor) || tensor is null)
            {
                if (required)
                {
                    problems.Add($"missing key '{key}'");
                }
                return null;
            }
            if (tensor.Size != length)
            {
                problems.Add($"'{key}' has shape {Shapes.Format(tensor.ShapeRef)}, expected {length} value(s)");
                return null;
            }
            return tensor.ToDoubleArray()[0];
        }

        double? lr = Scalar(GroupPrefix + "lr", required: true);
        if (lr is { } rate && (!(rate >= 0) || double.IsInfinity(rate)))
        {
            problems.Add($"'{GroupPrefix}lr' is {rate}; a learning rate must be ≥ 0 and finite");
        }
        double? stepCount = Scalar(GroupPrefix + "step_count", required: false);
        double? initialRate = Scalar(GroupPrefix + "initial_lr", required: false);
        known.Add(GroupPrefix + "params");
        if (!state.TryGetValue(GroupPrefix + "params", out var indices) || indices is null)
        {
            problems.Add($"missing key '{GroupPrefix}params'");
        }
        else if (indices.Size != _parameters.Length)
        {
            problems.Add($"the state dict is for {indices.Size} parameter(s), this optimizer has " +
                         $"{_parameters.Length}");
        }
        var hyper = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var (name, current) in HyperParameters())
        {
            string key = GroupPrefix + name;
            known.Add(key);
            if (!state.TryGetValue(key, out var tensor) || tensor is null)
            {
                problems.Add($"missing key '{key}'");
            }
            else if (tensor.Size != current.Length)
            {
                problems.Add($"'{key}' has shape {Shapes.Format(tensor.ShapeRef)}, expected {current.Length} " +
                             "value(s)");
            }
            else
            {
                hyper[name] = tensor.ToDoubleArray();
            }
        }

        var slots = new Dictionary<string, Tensor>?[_parameters.Length];
        for (int i = 0; i < _parameters.Length; i++)
        {
            var present = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (string slot in SlotNames)
            {
                string key = SlotKey(i, slot);
                known.Add(key);
                if (state.TryGetValue(key, out var tensor) && tensor is not null)
                {
                    present[slot] = tensor;
                    var expected = slot == StepSlot ? [] : _parameters[i].ShapeRef;
                    if (!tensor.ShapeRef.AsSpan().SequenceEqual(expected))
                    {
                        problems.Add($"'{key}' has shape {Shapes.Format(tensor.ShapeRef)} but parameter {i} needs " +
                                     $"{Shapes.Format(expected)}");
                    }
                }
            }
            if (present.Count > 0 && present.Count < SlotNames.Count)
            {
                problems.Add($"parameter {i} has only {string.Join(", ", present.Keys)} of " +
                             $"{string.Join(", ", SlotNames)}");
            }
            slots[i] = present.Count > 0 ? present : null;
        }
        problems.AddRange(state.Keys.Where(k => !known.Contains(k)).Order(StringComparer.Ordinal)
            .Select(k => $"unexpected key '{k}'"));
        if (problems.Count == 0)
        {
            problems.AddRange(CheckHyperParameters(hyper));
        }
        if (problems.Count > 0)
        {
            throw new ArgumentException(
                $"LoadStateDict into {GetType().Name}: {string.Join("; ", problems)}", nameof(state));
        }

        SetHyperParameters(hyper);
        LearningRate = (float)lr!.Value;
        if (stepCount is { } count)
        {
            StepCount = (int)count;
        }
        if (initialRate is { } initial)
        {
            InitialLearningRate = (float)initial;
        }
        for (int i = 0; i < _parameters.Length; i++)
        {
            LoadSlots(i, slots[i]?.ToDictionary(s => s.Key, s => s.Value.ToArray(), StringComparer.Ordinal));
        }
    }

    /// <summary>
    /// The rate the first schedule over this optimizer started from (torch's <c>initial_lr</c>); null until one is
    /// built.
    /// </summary>
    internal float? InitialLearningRate { get; set; }

    /// <summary>The name of the per-parameter step counter slot (a zero-dimensional float32 tensor).</summary>
    private protected const string StepSlot = "step";

    /// <summary>The optimizer-specific hyper-parameters with their values (PyTorch's names).</summary>
    private protected abstract IEnumerable<(string Name, double[] Values)> HyperParameters();

    /// <summary>The problems with hyper-parameter values read from a state dict (none when they are valid).</summary>
    private protected abstract IEnumerable<string> CheckHyperParameters(IReadOnlyDictionary<string, double[]> values);

    /// <summary>Sets hyper-parameters that <see cref="CheckHyperParameters"/> accepted.</summary>
    private protected abstract void SetHyperParameters(IReadOnlyDictionary<string, double[]> values);

    /// <summary>The names of the per-parameter slots; a parameter with state has all of them.</summary>
    private protected abstract IReadOnlyList<string> SlotNames { get; }

    /// <summary>Parameter <paramref name="index"/>'s slots (none before its first step).</summary>
    private protected abstract IEnumerable<(string Slot, float[] Values)> SlotsOf(int index);

    /// <summary>Replaces parameter <paramref name="index"/>'s slots; null starts it afresh.</summary>
    private protected abstract void LoadSlots(int index, IReadOnlyDictionary<string, float[]>? slots);

    /// <summary>A state buffer for parameter <paramref name="index"/> holding <paramref name="values"/>.</summary>
    private protected DeviceBuffer<float> StateFrom(int index, DeviceBuffer<float>? existing, float[] values)
    {
        var buffer = existing ?? NewState(_parameters[index].Storage.Float32!);
        buffer.CopyFrom(values);
        return buffer;
    }

    private static string SlotKey(int index, string slot) =>
        string.Create(CultureInfo.InvariantCulture, $"state.{index}.{slot}");
}
