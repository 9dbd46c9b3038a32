using ILGPU;
using ILGPU.Runtime;
using MicrogradPlus.Backends;

namespace MicrogradPlus;

// Memory to and from the device: allocation (and what to do when the device is full), freeing, trimming the cache,
// and the collections the pool runs for tensors dropped undisposed.
public sealed partial class BufferPool
{
    /// <summary>
    /// Runs a full garbage collection and its finalizers (never under the lock: a finalizer may return memory), then
    /// takes back what they queued and frees cached buffers that no longer fit.
    /// </summary>
    private void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        lock (_gate)
        {
            Collections++;
            long before = LiveBytes;
            DrainFinalized();
            _allowance = before - LiveBytes < _allowance / 2
                ? Math.Min(2 * _allowance, MaxAllowanceFactor * MaxCachedBytes)
                : MaxCachedBytes;
            _liveAfterCollection = LiveBytes;
            FreeCachedDownTo(MaxCachedBytes);
        }
    }

    /// <summary>Frees cached buffers, largest buckets first, until at most <paramref name="bound"/> bytes stay.</summary>
    private void FreeCachedDownTo(long bound)
    {
        while (CachedBytes > bound)
        {
            long largest = 0;
            foreach (var (bucket, stack) in _free)
            {
                if (stack.Count > 0 && bucket > largest)
                {
                    largest = bucket;
                }
            }
            Free(_free[largest].Pop());
            CachedBuffers--;
            CachedBytes -= largest;
        }
    }

    private void Free(RawBuffer raw)
    {
        raw.Memory.Dispose();
        DeviceFrees++;
    }

    private RawBuffer Allocate(long bytes)
    {
        RawBuffer raw;
        try
        {
            raw = AllocateRaw(bytes);
        }
        catch (Exception e) when (e is OutOfMemoryException or AcceleratorException)
        {
            raw = AllocateUnderPressure(bytes);
        }
        DeviceAllocations++;
        CountRented(raw);
        return raw;
    }

    private RawBuffer AllocateRaw(long bytes) => new(_device.Accelerator.Allocate1D<byte>(bytes), bytes);

    /// <summary>The device is full: empty the cache and retry, then collect what was dropped undisposed and retry.</summary>
    private RawBuffer AllocateUnderPressure(long bytes)
    {
        FreeCachedDownTo(0);
        try
        {
            return AllocateRaw(bytes);
        }
        catch (Exception e) when (e is OutOfMemoryException or AcceleratorException)
        {
            _gate.Exit();
            try
            {
                Collect();
            }
            finally
            {
                _gate.Enter();
            }
            FreeCachedDownTo(0);
            try
            {
                return AllocateRaw(bytes);
            }
            catch (Exception again) when (again is OutOfMemoryException or AcceleratorException)
            {
                throw new InvalidOperationException(
                    $"{_device}: could not allocate {bytes} bytes ({LiveBytes} bytes live in {LiveBuffers} " +
                    $"buffers, nothing cached; dispose tensors or use Tensor.Scope())", again);
            }
        }
    }
}

/// <summary>Device memory owned by the pool; leases (<see cref="DeviceBuffer{T}"/>) point at it.</summary>
internal sealed class RawBuffer(MemoryBuffer1D<byte, Stride1D.Dense> memory, long bytes)
{
    public MemoryBuffer1D<byte, Stride1D.Dense> Memory { get; } = memory;
    public long Bytes { get; } = bytes;

    /// <summary>
    /// Leases on this memory not yet returned: one, or more when tensors share the allocation (changed under the
    /// pool's lock; borrowed leases, which are never returned, do not count).
    /// </summary>
    public int Leases { get; set; }

    /// <summary>Captured steps holding this memory (changed under the pool's lock).</summary>
    public int Pins { get; set; }

    /// <summary>Whether its last lease was released while it was pinned.</summary>
    public bool ReleasedWhilePinned { get; set; }
}
