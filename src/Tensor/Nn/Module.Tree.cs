using System.Globalization;

namespace MicrogradPlus.Nn;

public abstract partial class Module
{
    /// <summary>
    /// Every buffer (non-trainable state such as running statistics) of this module and its submodules with its
    /// dotted name, in the order of <see cref="NamedParameters"/> (torch's <c>named_buffers</c>).
    /// </summary>
    /// <returns>Each buffer with its dotted name, e.g. <c>("0.running_mean", tensor)</c>; this module's first.</returns>
    public IEnumerable<(string Name, Tensor Value)> NamedBuffers()
    {
        foreach (var buffer in _buffers)
        {
            yield return buffer;
        }
        foreach (var (prefix, module) in _modules)
        {
            foreach (var (name, value) in module.NamedBuffers())
            {
                yield return ($"{prefix}.{name}", value);
            }
        }
    }

    /// <summary>Every buffer of this module and its submodules.</summary>
    /// <returns>The buffers in registration order, this module's first.</returns>
    public IEnumerable<Tensor> Buffers() => NamedBuffers().Select(b => b.Value);

    /// <summary>How many numbers the parameters hold together (torch: <c>sum(p.numel() for p in parameters())</c>).</summary>
    public long ParameterCount => Parameters().Sum(p => (long)p.Size);

    /// <summary>
    /// Moves every parameter and buffer of this module and its submodules to <paramref name="device"/> in place, as
    /// torch's <c>Module.to</c>: the module's tensors stay the same objects (so <c>linear.Weight</c>, and an optimizer
    /// built afterwards from <see cref="Parameters"/>, see them on the new device), their gradients move with them.
    /// An optimizer built before keeps its state (momentum, Adam's moments) on the old device: build it again after
    /// moving the model. Tensors on the device already are left alone. Returns this module.
    /// </summary>
    /// <param name="device">The device to move to.</param>
    /// <returns>This module, for chaining.</returns>
    public Module To(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        foreach (var (_, tensor) in NamedParameters().Concat(NamedBuffers()))
        {
            tensor.Relocate(device);
        }
        return this;
    }

    /// <summary>
    /// Calls <paramref name="action"/> on every submodule (depth first, children before their parent) and then on
    /// this module, as torch's <c>Module.apply</c> (e.g. to initialise every Linear's weight). Returns this module.
    /// </summary>
    /// <param name="action">What to do with each module.</param>
    /// <returns>This module, for chaining.</returns>
    public Module Apply(Action<Module> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        foreach (var (_, module) in _modules)
        {
            module.Apply(action);
        }
        action(this);
        return this;
    }

    /// <summary>
    /// The module tree as PyTorch prints it: <c>Name(extra)</c> for a module without submodules, else one line per
    /// submodule, indented, e.g. <c>Sequential(\n  (0): Linear(in_features=2, out_features=16, bias=True)\n  (1):
    /// ReLU()\n)</c>.
    /// </summary>
    /// <returns>The module tree as text, over several lines when there are submodules.</returns>
    public override string ToString()
    {
        string extra = ExtraRepr();
        if (_modules.Count == 0)
        {
            return $"{ReprName}({extra})";
        }
        var lines = new List<string>();
        if (extra.Length > 0)
        {
            lines.AddRange(extra.Split('\n'));
        }
        foreach (var (name, module) in _modules)
        {
            lines.Add($"({name}): {module.ToString().Replace("\n", "\n  ", StringComparison.Ordinal)}");
        }
        return $"{ReprName}(\n  {string.Join("\n  ", lines)}\n)";
    }

    /// <summary>The name <see cref="ToString"/> prints: the class name unless a module says otherwise.</summary>
    protected virtual string ReprName => GetType().Name;

    /// <summary>What <see cref="ToString"/> prints between the parentheses (torch's <c>extra_repr</c>).</summary>
    /// <returns>The module's settings (empty by default).</returns>
    protected virtual string ExtraRepr() => "";

    /// <summary>A number as Python prints a float: "0.1", "1.0", "1e-05".</summary>
    internal static string PythonFloat(double value)
    {
        if (double.IsPositiveInfinity(value))
        {
            return "inf";
        }
        if (double.IsNegativeInfinity(value))
        {
            return "-inf";
        }
        if (double.IsNaN(value))
        {
            return "nan";
        }
        // Python switches to an exponent below 1e-4 and from 1e16; .NET's shortest form at 1e-5 and past 1e15.
        string text = Math.Abs(value) >= 1e16 || (value != 0 && Math.Abs(value) < 1e-4)
            ? value.ToString("0.################e+00", CultureInfo.InvariantCulture)
            : value.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains('e', StringComparison.Ordinal) || text.Contains('.', StringComparison.Ordinal)
            ? text
            : text + ".0";
    }

    /// <summary>A float32 setting as Python prints the float it stands for: 1e-5f as "1e-05", not "9.99999974737875e-06".</summary>
    internal static string PythonFloat(float value) =>
        PythonFloat(double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));

    /// <summary>"True" or "False", as Python prints a bool.</summary>
    internal static string PythonBool(bool value) => value ? "True" : "False";

    /// <summary>
    /// The state dict's entries in torch's order: this module's parameters, then its buffers, then each submodule's.
    /// </summary>
    private IEnumerable<(string Name, Tensor Value)> NamedState()
    {
        foreach (var entry in _parameters.Concat(_buffers))
        {
            yield return entry;
        }
        foreach (var (prefix, module) in _modules)
        {
            foreach (var (name, value) in module.NamedState())
            {
                yield return ($"{prefix}.{name}", value);
            }
        }
    }
}
