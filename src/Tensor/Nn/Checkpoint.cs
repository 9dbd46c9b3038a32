using System.Globalization;
using MicrogradPlus.Optim;

namespace MicrogradPlus.Nn;

/// <summary>
/// A training checkpoint in one safetensors file: the model's state dict under <c>model.</c>, the optimizer's
/// (<see cref="Optimizer.StateDict"/>) under <c>optimizer.</c>, and the epoch in the header's metadata. Loading it
/// into a freshly built model and optimizer of the same shapes resumes training bit for bit: every value is stored
/// exactly (float32 state as F32, hyper-parameters as F64).
/// </summary>
/// <example>
/// <code>
/// Checkpoint.Save("run.safetensors", model, optimizer, epoch);
/// // later, in a new process:
/// int epoch = Checkpoint.Load("run.safetensors", model, optimizer); // continue with epoch + 1
/// </code>
/// </example>
public static class Checkpoint
{
    /// <summary>The prefix of the model's tensors.</summary>
    public const string ModelPrefix = "model.";

    /// <summary>The prefix of the optimizer's tensors.</summary>
    public const string OptimizerPrefix = "optimizer.";

    /// <summary>The metadata key holding the epoch.</summary>
    public const string EpochKey = "epoch";

    /// <summary>
    /// Writes <paramref name="model"/>'s state dict, <paramref name="optimizer"/>'s state (when given) and
    /// <paramref name="epoch"/> to <paramref name="path"/>, plus any extra string <paramref name="metadata"/>.
    /// </summary>
    /// <param name="path">The file to write (overwritten).</param>
    /// <param name="model">The model whose parameters and buffers are saved.</param>
    /// <param name="optimizer">The optimizer whose state is saved, or null for none.</param>
    /// <param name="epoch">The epoch to record, returned by <see cref="Load(string, Module, Optimizer?)"/>.</param>
    /// <param name="metadata">Extra string entries to store, or null.</param>
    public static void Save(string path, Module model, Optimizer? optimizer, int epoch,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(model);
        var header = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
        {
            header[key] = value;
        }
        header[EpochKey] = epoch.ToString(CultureInfo.InvariantCulture);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in model.StateDict())
        {
            tensors.Add(ModelPrefix + name, tensor);
        }
        var optimizerState = optimizer?.StateDict() ?? [];
        try
        {
            foreach (var (name, tensor) in optimizerState)
            {
                tensors.Add(OptimizerPrefix + name, tensor);
            }
            Safetensors.Save(path, tensors, header);
        }
        finally
        {
            foreach (var tensor in optimizerState.Values)
            {
                tensor.Dispose();
            }
        }
    }

    /// <summary>
    /// Restores <paramref name="model"/> (strictly: every key must match) and, when given, <paramref name="optimizer"/>
    /// from the checkpoint at <paramref name="path"/>, and returns the saved epoch. A file without an epoch, or
    /// without optimizer state when an optimizer is given, throws <see cref="InvalidDataException"/>.
    /// </summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="model">The model to restore; its parameter names and shapes must match the file's.</param>
    /// <param name="optimizer">The optimizer to restore, or null to skip the optimizer state.</param>
    /// <returns>The epoch stored in the file.</returns>
    public static int Load(string path, Module model, Optimizer? optimizer) =>
        Load(path, model, optimizer, out _);

    /// <summary>
    /// As <see cref="Load(string, Module, Optimizer?)"/>, also returning the file's metadata (the epoch and whatever
    /// was passed to <see cref="Save"/>).
    /// </summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="model">The model to restore; its parameter names and shapes must match the file's.</param>
    /// <param name="optimizer">The optimizer to restore, or null to skip the optimizer state.</param>
    /// <param name="metadata">Receives the file's metadata entries.</param>
    /// <returns>The epoch stored in the file.</returns>
    public static int Load(string path, Module model, Optimizer? optimizer,
        out Dictionary<string, string> metadata)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(model);
        var tensors = Safetensors.Load(path, out metadata, Device.Cpu);
        try
        {
            if (!metadata.TryGetValue(EpochKey, out string? text) ||
                !int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int epoch))
            {
                throw new InvalidDataException(
                    $"{path} is not a checkpoint: its metadata has no integer '{EpochKey}'");
            }
            var modelState = Part(tensors, ModelPrefix);
            var optimizerState = Part(tensors, OptimizerPrefix);
            if (optimizer is not null && optimizerState.Count == 0)
            {
                throw new InvalidDataException($"{path} holds no optimizer state ('{OptimizerPrefix}…' tensors)");
            }
            var stray = tensors.Keys.Where(k => !k.StartsWith(ModelPrefix, StringComparison.Ordinal) &&
                                                !k.StartsWith(OptimizerPrefix, StringComparison.Ordinal)).ToList();
            if (stray.Count > 0)
            {
                throw new InvalidDataException(
                    $"{path}: tensors outside '{ModelPrefix}' and '{OptimizerPrefix}': {string.Join(", ", stray)}");
            }
            model.LoadStateDict(modelState);
            optimizer?.LoadStateDict(optimizerState);
            return epoch;
        }
        finally
        {
            foreach (var tensor in tensors.Values)
            {
                tensor.Dispose();
            }
        }
    }

    private static Dictionary<string, Tensor> Part(Dictionary<string, Tensor> tensors, string prefix) =>
        tensors.Where(t => t.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(t => t.Key[prefix.Length..], t => t.Value, StringComparer.Ordinal);
}
