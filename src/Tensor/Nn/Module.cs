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
    /// <param name="input">A batch, rows first (for <see cref="Linear"/>: [batch, inFeatures] or any leading axes).</param>
    /// <returns>The output, recorded for autograd when grad mode is on and a parameter requires grad.</returns>
    public abstract Tensor Forward(Tensor input);

    /// <summary>Every parameter of this module and its submodules, in registration order.</summary>
    /// <returns>The parameter tensors themselves (not copies): give them to an optimizer.</returns>
    /// <example>
    /// <code>
    /// using var model = new Mlp(2, [16, 16], 2, device: Device.Cpu);
    /// using var optimizer = new Adam(model.Parameters(), lr: 0.01f);
    /// int count = model.Parameters().Sum(p => p.Size); // 2·16 + 16 + 16·16 + 16 + 16·2 + 2 = 354
    /// </code>
    /// </example>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Value);

    /// <summary>Every parameter with its dotted name.</summary>
    /// <returns>Pairs of a dotted name ("0.weight") and the parameter, in registration order.</returns>
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
    /// <returns>The direct submodules with their names, in registration order.</returns>
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
    /// <param name="training">True for training mode, false for evaluation.</param>
    /// <returns>This module, for chaining.</returns>
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
    /// <returns>This module, for chaining.</returns>
    public Module Eval() => Train(false);

    /// <summary>
    /// The parameters and buffers by dotted name (the tensors themselves, not copies), in torch's order: a module's
    /// parameters, then its buffers, then each submodule's state.
    /// </summary>
    /// <returns>A new dictionary from dotted names to the tensors; <see cref="Safetensors"/> writes and reads it.</returns>
    public Dictionary<string, Tensor> StateDict() => NamedState().ToDictionary(p => p.Name, p => p.Value);

    /// <summary>
    /// Copies values into the parameters and buffers by name. With <paramref name="strict"/>, missing and unexpected keys are
    /// errors; a shape mismatch always is. The message lists every offending key.
    /// </summary>
    /// <param name="state">Tensors by dotted name, as <see cref="StateDict"/> or <see cref="Safetensors"/> give them.</param>
    /// <param name="strict">Whether a missing or unexpected key is an error.</param>
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
            if (state.TryGetValue(name, out var value) && value is null)
            {
                problems.Add($"'{name}' is null in the state dict");
            }
            else if (value is { } source && !source.ShapeRef.AsSpan().SequenceEqual(target.ShapeRef))
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
    /// <param name="disposing">True from <see cref="Dispose()"/>, false from a finalizer.</param>
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
    /// <param name="name">The parameter's name within this module (no dots).</param>
    /// <param name="value">The tensor, now owned by the module.</param>
    /// <returns><paramref name="value"/>, for assignment to a field.</returns>
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
    /// <param name="name">The buffer's name in the state dict: unique in this module, without dots.</param>
    /// <param name="value">The buffer's initial value.</param>
    /// <returns><paramref name="value"/>, to store in a field.</returns>
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
    /// <typeparam name="T">The submodule's type.</typeparam>
    /// <param name="name">The submodule's name within this module (no dots).</param>
    /// <param name="module">The submodule, now owned by this module.</param>
    /// <returns><paramref name="module"/>, for assignment to a field.</returns>
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
