namespace MicrogradPlus;

public sealed partial class Device
{
    /// <summary>
    /// The memory counters of this device's pool at this moment, like <c>torch.cuda.memory_stats</c>: live, cached and
    /// peak bytes and buffers, allocations, frees, reuses, the cache bound and the collections the pool ran.
    /// </summary>
    /// <returns>A snapshot of the counters; it does not change afterwards.</returns>
    public MemoryStats MemoryStats()
    {
        var pool = Pool;
        return new MemoryStats(pool.LiveBytes, pool.LiveBuffers, pool.CachedBytes, pool.CachedBuffers,
            pool.PeakLiveBytes, pool.PeakLiveBuffers, pool.MaxCachedBytes, pool.DeviceAllocations, pool.DeviceFrees,
            pool.Reuses, pool.Collections);
    }

    /// <summary>
    /// Gives every cached buffer back to the device (PyTorch's <c>empty_cache</c>), after taking back the memory of
    /// tensors whose finalizers already ran. Memory that tensors hold stays.
    /// </summary>
    public void EmptyCache() => Pool.Trim();

    /// <summary>Starts the peak counters of <see cref="MemoryStats()"/> over from the live ones.</summary>
    public void ResetPeakMemoryStats() => Pool.ResetPeak();
}

/// <summary>A snapshot of a device's memory counters (see <see cref="Device.MemoryStats()"/>).</summary>
/// <param name="LiveBytes">Bytes rented to tensors and not yet returned (size-bucket bytes).</param>
/// <param name="LiveBuffers">Buffers rented and not yet returned.</param>
/// <param name="CachedBytes">Bytes kept for reuse.</param>
/// <param name="CachedBuffers">Buffers kept for reuse.</param>
/// <param name="PeakLiveBytes">The most live bytes since the start or the last reset.</param>
/// <param name="PeakLiveBuffers">The most live buffers since the start or the last reset.</param>
/// <param name="MaxCachedBytes">The cache bound (<see cref="BufferPool.MaxCachedBytes"/>).</param>
/// <param name="DeviceAllocations">Allocations that went to the device.</param>
/// <param name="DeviceFrees">Buffers given back to the device.</param>
/// <param name="Reuses">Rentals served from the cache.</param>
/// <param name="Collections">Garbage collections the pool ran to take back memory dropped undisposed.</param>
public readonly record struct MemoryStats(
    long LiveBytes,
    long LiveBuffers,
    long CachedBytes,
    long CachedBuffers,
    long PeakLiveBytes,
    long PeakLiveBuffers,
    long MaxCachedBytes,
    long DeviceAllocations,
    long DeviceFrees,
    long Reuses,
    long Collections);
