using MicrogradPlus.Backends;

namespace MicrogradPlus.Nn;

/// <summary>
/// The base of every layer, as torch.nn.Module: registered parameters, buffers (non-trainable state such as running
/// statistics) and submodules, a train/eval flag, and state dicts keyed by dotted names ("0.weight"). A module owns
/// its parameters and buffers and disposes them with itself.
/// </summary>
public abstract partial class Module : IDisposable
{
    private readonly List<(string Name, Tensor Value)> _parameters = [];
    private readonly List<(string Name, Tensor Value)> _buffers = [];
    private readonly List<(string Name, Module Value)> _modules = [];

    /// <summary>Whether the module is in training mode (affects Dropout).</summary>
    public bool Training { get; private set; } = true;

    /// <summary>The module's output for <paramref name="input"/>.</summary>
    public abstract Tensor Forward(Tensor input);

    /// <summary>Every parameter of this module and its submodules, in registration order.</summary>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Value);

    /// <summary>Every parameter with its dotted name.</summary>
    public IEnumerable<(string Name, Tensor Value)> NamedParameters()
    {
        foreach (var parameter in _parameters)
        {
            yield return parameter;
        }
        foreach (var (prefix, module) in _modules)
        {
            foreach (var (name, value) in module.NamedParameters())
            {
                yield return ($"{prefix}.{name}", value);
            }
        }
    }

    /// <summary>The direct submodules with their names.</summary>
    public IEnumerable<(string Name, Module Value)> NamedChildren() => _modules;

    /// <summary>Drops every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var parameter in Parameters())
        {
            parameter.ZeroGrad();
        }
    }

    /// <summary>Sets training mode on this module and every submodule.</summary>
    public Module Train(bool training = true)
    {
        Training = training;
        foreach (var (_, module) in _modules)
        {
            module.Train(training);
        }
        return this;
    }

    /// <summary>Evaluation mode: <c>Train(false)</c>.</summary>
    public Module Eval() => Train(false);

    /// <summary>
    /// The parameters and buffers by dotted name (the tensors themselves, not copies), in torch's order: a module's
    /// parameters, then its buffers, then each submodule's state.
    /// </summary>
    public Dictionary<string, Tensor> StateDict() => NamedState().ToDictionary(p => p.Name, p => p.Value);

    /// <summary>
    /// Copies values into the parameters and buffers by name. With <paramref name="strict"/>, missing and unexpected keys are
    /// errors; a shape mismatch always is. The message lists every offending key.
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        var own = StateDict();
        var problems = new List<string>();
        if (strict)
        {
            problems.AddRange(own.Keys.Where(k => !state.ContainsKey(k)).Select(k => $"missing key '{k}'"));
            problems.AddRange(state.Keys.Where(k => !own.ContainsKey(k)).Select(k => $"unexpected key '{k}'"));
        }
        foreach (var (name, target) in own)
        {
            if (state.TryGetValue(name, out var source) && !source.ShapeRef.AsSpan().SequenceEqual(target.ShapeRef))
            {
                problems.Add($"'{name}' has shape {Shapes.Format(source.ShapeRef)} in the state dict but " +
                             $"{Shapes.Format(target.ShapeRef)} in the module");
            }
        }
        if (problems.Count > 0)
        {
            throw new ArgumentException($"LoadStateDict into {GetType().Name}: {string.Join("; ", problems)}");
        }
        using var noGrad = Autograd.NoGrad();
        foreach (var (name, target) in own)
        {
            if (state.TryGetValue(name, out var source))
            {
                // The scope disposes the copies To makes, never the caller's source (To returns it when unchanged).
                using (Tensor.Scope())
                {
                    target.CopyFrom(source.To(target.Device).To(target.DType));
                }
            }
        }
    }

    /// <summary>Disposes the parameters and submodules.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Disposes the parameters, buffers and submodules.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }
        foreach (var (_, parameter) in _parameters)
        {
            parameter.Dispose();
        }
        foreach (var (_, buffer) in _buffers)
        {
            buffer.Dispose();
        }
        foreach (var (_, module) in _modules)
        {
            module.Dispose();
        }
    }

    /// <summary>Registers a parameter: it requires grad and outlives any tensor scope it was created in.</summary>
    protected Tensor RegisterParameter(string name, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        CheckName(name);
        value.MoveToOuterScope();
        value.RequiresGrad = true;
        _parameters.Add((name, value));
        return value;
    }

    /// <summary>
    /// Registers a buffer: state that is saved in the state dict and moved by <see cref="To"/> but not trained (no
    /// gradient), such as BatchNorm's running statistics. It outlives any tensor scope it was created in.
    /// </summary>
    protected Tensor RegisterBuffer(string name, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        CheckName(name);
        value.MoveToOuterScope();
        value.RequiresGrad = false;
        _buffers.Add((name, value));
        return value;
    }

    /// <summary>Registers a submodule under <paramref name="name"/>.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        CheckName(name);
        _modules.Add((name, module));
        return module;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{name}' is not a valid parameter or module name (non-empty, no dots)");
        }
        if (_parameters.Any(p => p.Name == name) || _buffers.Any(b => b.Name == name) ||
            _modules.Any(m => m.Name == name))
        {
            throw new ArgumentException($"{GetType().Name} already has a member named '{name}'");
        }
    }
}
