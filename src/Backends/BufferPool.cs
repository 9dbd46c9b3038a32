using System.Collections.Concurrent;
using ILGPU;
using ILGPU.Runtime;

using MicrogradPlus.Backends;

namespace MicrogradPlus;

/// <summary>
/// A size-bucketed pool of device memory, one per <see cref="Device"/>. GPU memory does not feel the .NET GC's
/// pressure, so buffers are returned explicitly (<see cref="DeviceBuffer{T}.Dispose"/>) and reused by size bucket
/// (powers of two from 256 bytes). The cache is bounded: past <see cref="MaxCachedBytes"/> a returned buffer is freed.
/// A buffer whose owner was finalized without being disposed is only queued here — the finalizer thread never touches
/// the device — and is reclaimed at the next <see cref="Rent{T}(long)"/> on the caller's thread.
/// </summary>
public sealed class BufferPool
{
    private const long MinBucketBytes = 256;

    private readonly Device _device;
    private readonly Lock _gate = new();
    private readonly Dictionary<long, Stack<RawBuffer>> _free = [];
    private readonly ConcurrentQueue<RawBuffer> _finalized = new();

    // Strong references to the rented memory. Without them, the ILGPU buffer behind a lease that is finalized
    // undisposed would become unreachable with the lease and be finalized too (ILGPU frees device memory in its own
    // finalizer), and the pool would then reclaim, cache and hand out freed memory.
    private readonly HashSet<RawBuffer> _rented = new(ReferenceEqualityComparer.Instance);

    internal BufferPool(Device device)
    {
        _device = device;
        MaxCachedBytes = 512L * 1024 * 1024;
    }

    /// <summary>The device this pool allocates on.</summary>
    public Device Device => _device;

    /// <summary>Upper bound on the bytes kept for reuse (default 512 MiB).</summary>
    public long MaxCachedBytes { get; set; }

    /// <summary>Buffers rented and not yet returned.</summary>
    public long LiveBuffers { get; private set; }

    /// <summary>Bucket bytes of the buffers rented and not yet returned.</summary>
    public long LiveBytes { get; private set; }

    /// <summary>Buffers kept for reuse.</summary>
    public long CachedBuffers { get; private set; }

    /// <summary>Bytes kept for reuse.</summary>
    public long CachedBytes { get; private set; }

    /// <summary>Allocations that went to the device (misses).</summary>
    public long DeviceAllocations { get; private set; }

    /// <summary>Rentals served from the cache (hits).</summary>
    public long Reuses { get; private set; }

    /// <summary>Rents a buffer of <paramref name="length"/> elements (contents undefined).</summary>
    internal DeviceBuffer<T> Rent<T>(long length) where T : unmanaged => Rent<T>(length, guarded: true);

    /// <summary>
    /// Rents a buffer with or without a guard against its lease being dropped undisposed (see
    /// <see cref="DeviceBuffer{T}"/>). Without one for an owner that disposes it for certain (a using block, a tensor
    /// scope) or guards it later (<see cref="DeviceBuffer{T}.Guard"/>) when it cannot.
    /// </summary>
    internal DeviceBuffer<T> Rent<T>(long length, bool guarded) where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        long elementSize = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        long bytes = BucketBytes(length * elementSize);
        RawBuffer raw;
        lock (_gate)
        {
            DrainFinalized();
            if (_free.TryGetValue(bytes, out var stack) && stack.Count > 0)
            {
                raw = stack.Pop();
                CachedBuffers--;
                CachedBytes -= bytes;
                Reuses++;
            }
            else
            {
                raw = Allocate(bytes);
                DeviceAllocations++;
            }
            _rented.Add(raw);
            LiveBuffers++;
            LiveBytes += bytes;
        }
        return new DeviceBuffer<T>(this, raw, length, guarded);
    }

    /// <summary>Frees every cached buffer (live ones stay).</summary>
    public void Trim()
    {
        lock (_gate)
        {
            DrainFinalized();
            foreach (var stack in _free.Values)
            {
                while (stack.Count > 0)
                {
                    stack.Pop().Memory.Dispose();
                }
            }
            CachedBuffers = 0;
            CachedBytes = 0;
        }
    }

    /// <summary>A one-line summary of the counters.</summary>
    public override string ToString() =>
        $"{_device}: {LiveBuffers} live ({LiveBytes} B), {CachedBuffers} cached ({CachedBytes} B), " +
        $"{DeviceAllocations} allocations, {Reuses} reuses";

    internal void Return(RawBuffer raw)
    {
        lock (_gate)
        {
            Release(raw);
        }
    }

    internal void Reclaim(RawBuffer raw) => _finalized.Enqueue(raw);

    private void DrainFinalized()
    {
        while (_finalized.TryDequeue(out var raw))
        {
            Release(raw);
        }
    }

    private void Release(RawBuffer raw)
    {
        _rented.Remove(raw);
        LiveBuffers--;
        LiveBytes -= raw.Bytes;
        if (CachedBytes + raw.Bytes > MaxCachedBytes)
        {
            raw.Memory.Dispose();
            return;
        }
        if (!_free.TryGetValue(raw.Bytes, out var stack))
        {
            _free[raw.Bytes] = stack = new Stack<RawBuffer>();
        }
        stack.Push(raw);
        CachedBuffers++;
        CachedBytes += raw.Bytes;
    }

    private RawBuffer Allocate(long bytes)
    {
        try
        {
            return new RawBuffer(_device.Accelerator.Allocate1D<byte>(bytes), bytes);
        }
        catch (Exception e) when (e is OutOfMemoryException or AcceleratorException)
        {
            Trim();
            try
            {
                return new RawBuffer(_device.Accelerator.Allocate1D<byte>(bytes), bytes);
            }
            catch (Exception again) when (again is OutOfMemoryException or AcceleratorException)
            {
                throw new InvalidOperationException(
                    $"{_device}: could not allocate {bytes} bytes ({LiveBytes} bytes live in {LiveBuffers} buffers)",
                    again);
            }
        }
    }

    private static long BucketBytes(long bytes) =>
        bytes <= MinBucketBytes ? MinBucketBytes : (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)bytes);
}

/// <summary>Device memory owned by the pool; leases (<see cref="DeviceBuffer{T}"/>) point at it.</summary>
internal sealed class RawBuffer(MemoryBuffer1D<byte, Stride1D.Dense> memory, long bytes)
{
    public MemoryBuffer1D<byte, Stride1D.Dense> Memory { get; } = memory;
    public long Bytes { get; } = bytes;
}
