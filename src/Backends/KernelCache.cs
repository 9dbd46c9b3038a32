using System.Collections.Concurrent;
using ILGPU;
using ILGPU.Runtime;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

/// <summary>
/// Each kernel is compiled and loaded once per accelerator; the typed launch delegate is kept here. Reloading costs
/// milliseconds (0.3 s for a first CUDA compile), so nothing outside this class calls ILGPU's loaders.
/// </summary>
internal sealed class KernelCache(Accelerator accelerator)
{
    private readonly ConcurrentDictionary<object, Delegate> _kernels = new();
    private readonly Lock _loadGate = new();

    /// <summary>The grid-stride launcher for one body type (its first argument: the stream to launch on).</summary>
    public Action<AcceleratorStream, KernelConfig, TBody, int> GridStride<TBody>() where TBody : struct, IElementBody =>
        Get(typeof(TBody), acc => acc.LoadKernel<TBody, int>(Kernels.GridStride.Run<TBody>));

    /// <summary>
    /// Any other kernel, under a key of the caller's choosing (a marker type per kernel and element type). The caller
    /// launches it and counts the launch (<c>Executor.Launched</c>); grid-stride bodies go through
    /// <c>KernelExecutor.Run</c>, which counts for them.
    /// </summary>
    public TDelegate Get<TDelegate>(object key, Func<Accelerator, TDelegate> load) where TDelegate : Delegate
    {
        if (_kernels.TryGetValue(key, out var cached))
        {
            return (TDelegate)cached;
        }
        lock (_loadGate)
        {
            return (TDelegate)_kernels.GetOrAdd(key, _ => load(accelerator));
        }
    }

    /// <summary>How many kernels are loaded (tests check that repeated ops load nothing new).</summary>
    public int Count => _kernels.Count;
}
