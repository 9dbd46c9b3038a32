using System.Collections.Concurrent;
using ILGPU;
using ILGPU.Runtime;

using MicrogradPlus.Backends;

namespace MicrogradPlus;

/// <summary>
/// A size-bucketed pool of device memory, one per <see cref="Device"/>. GPU memory does not feel the .NET GC's
/// pressure, so buffers are returned explicitly (<see cref="DeviceBuffer{T}.Dispose"/>) and reused by size bucket
/// (powers of two from 256 bytes). A buffer whose owner was finalized without being disposed is only queued here — the
/// finalizer thread never touches the device — and is reclaimed at the next rental on the caller's thread.
/// </summary>
/// <remarks>
/// <para>Bounds. The cache holds at most <see cref="MaxCachedBytes"/>: a returned buffer makes room for itself by
/// freeing the largest cached ones (one larger than the bound is freed itself). Live memory
/// of tensors nobody disposes only comes back when the GC finalizes them, and the GC does not see device memory, so
/// the pool asks for a collection itself: when a rental that the cache cannot serve would take live bytes more than
/// <see cref="MaxCachedBytes"/> past the mark — the live bytes that survived the last collection, or the fewest live
/// since, as tensors are returned — it runs one (and waits for the finalizers), takes back what they queued, and
/// frees cached buffers that no longer fit. A training loop that never disposes a tensor therefore holds at most its
/// real working set + <see cref="MaxCachedBytes"/> + one rental of live memory, and the cache at most
/// <see cref="MaxCachedBytes"/>. A collection that finds less than half its allowance dropped means the growth was
/// real (a step whose temporaries outgrow the bound, a large tensor): the allowance then doubles, up to four times the
/// bound, so a step with up to that much in temporaries does not collect every time; the first collection that finds
/// dropped memory sets it back. So a careless loop holds at most four times <see cref="MaxCachedBytes"/> of dropped
/// tensors, and once a collection has found them, at most the bound. A device allocation that fails is retried after
/// emptying the cache, then after a collection.</para>
/// <para>Defaults: 64 MiB on the CPU (host memory: caching more buys little), a quarter of the device's memory on a
/// GPU.</para>
/// </remarks>
public sealed partial class BufferPool
{
    private const long MinBucketBytes = 256;

    /// <summary>The cache bound of the CPU device (see the remarks).</summary>
    public const long DefaultCpuMaxCachedBytes = 64L * 1024 * 1024;

    private readonly Device _device;
    private readonly Lock _gate = new();
    private readonly Dictionary<long, Stack<RawBuffer>> _free = [];
    private readonly ConcurrentQueue<RawBuffer> _finalized = new();

    // Strong references to the rented memory, by ILGPU buffer. Without them, the ILGPU buffer behind a lease that is
    // finalized undisposed would become unreachable with the lease and be finalized too (ILGPU frees device memory in
    // its own finalizer), and the pool would then reclaim, cache and hand out freed memory. The key is how a captured
    // step finds the memory behind the array views of its launches.
    private readonly Dictionary<MemoryBuffer, RawBuffer> _rented = new(ReferenceEqualityComparer.Instance);

    // The zero-length leases, one per element type (see DeviceBuffer's remarks).
    private readonly ConcurrentDictionary<Type, object> _empty = new();

    // Live bytes that survived the last collection the pool ran (0 before the first), lowered whenever live bytes fall
    // below it since: growth past it is what the GC may owe the pool. A mark that only rose would let memory that was
    // live at a collection, then disposed, count as headroom for undisposed tensors.
    private long _liveAfterCollection;

    // Growth past the mark that makes a rental collect: MaxCachedBytes, doubled after each fruitless collection.
    private long _allowance;

    private const long MaxAllowanceFactor = 4;

    internal BufferPool(Device device)
    {
        _device = device;
        MaxCachedBytes = device.Kind == DeviceKind.Cpu
            ? DefaultCpuMaxCachedBytes
            : Math.Max(DefaultCpuMaxCachedBytes, device.MemoryBytes / 4);
    }

    /// <summary>The device this pool allocates on.</summary>
    public Device Device => _device;

    /// <summary>
    /// Upper bound on the bytes kept for reuse, and the growth of live memory past the last collection that makes the
    /// pool run one (see the remarks). Lowering it frees cached buffers down to the new bound.
    /// </summary>
    public long MaxCachedBytes
    {
        get => Volatile.Read(ref field);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            lock (_gate)
            {
                field = value;
                _allowance = value;
                FreeCachedDownTo(value);
            }
        }
    }

    /// <summary>
    /// Buffers rented and not yet returned. One allocation shared by many tensors (the safetensors reader puts a
    /// file's tensors of one type in one) counts once, live until the last of them is returned.
    /// </summary>
    public long LiveBuffers { get; private set; }

    /// <summary>Bucket bytes of the buffers rented and not yet returned (a shared allocation: its whole bucket).</summary>
    public long LiveBytes { get; private set; }

    /// <summary>The most <see cref="LiveBytes"/> since the pool was created or <see cref="ResetPeak"/>.</summary>
    internal long PeakLiveBytes { get; private set; }

    /// <summary>The most <see cref="LiveBuffers"/> since the pool was created or <see cref="ResetPeak"/>.</summary>
    internal long PeakLiveBuffers { get; private set; }

    /// <summary>Buffers kept for reuse.</summary>
    public long CachedBuffers { get; private set; }

    /// <summary>Bytes kept for reuse.</summary>
    public long CachedBytes { get; private set; }

    /// <summary>Allocations that went to the device (misses).</summary>
    public long DeviceAllocations { get; private set; }

    /// <summary>Buffers given back to the device (cache full, trimmed, emptied).</summary>
    internal long DeviceFrees { get; private set; }

    /// <summary>Rentals served from the cache (hits).</summary>
    public long Reuses { get; private set; }

    /// <summary>Garbage collections the pool ran to take back memory of tensors dropped undisposed.</summary>
    internal long Collections { get; private set; }

    /// <summary>
    /// Rents a buffer of <paramref name="length"/> elements (contents undefined); zero elements rent nothing (see
    /// <see cref="DeviceBuffer{T}"/>'s remarks) and count in no counter.
    /// </summary>
    internal DeviceBuffer<T> Rent<T>(long length) where T : unmanaged => Rent<T>(length, guarded: true);

    /// <summary>
    /// Rents a buffer with or without a guard against its lease being dropped undisposed (see
    /// <see cref="DeviceBuffer{T}"/>). Without one for an owner that disposes it for certain (a using block, a tensor
    /// scope) or guards it later (<see cref="DeviceBuffer{T}.Guard"/>) when it cannot.
    /// </summary>
    internal DeviceBuffer<T> Rent<T>(long length, bool guarded) where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length == 0)
        {
            return (DeviceBuffer<T>)_empty.GetOrAdd(typeof(T), static (_, pool) => new DeviceBuffer<T>(pool), this);
        }
        long elementSize = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        long bytes = BucketBytes(length * elementSize);
        RawBuffer? raw;
        bool collect;
        lock (_gate)
        {
            DrainFinalized();
            raw = TryReuse(bytes);
            collect = raw is null && LiveBytes + bytes > _liveAfterCollection + _allowance;
        }
        if (collect)
        {
            Collect();
        }
        if (raw is null)
        {
            lock (_gate)
            {
                raw = TryReuse(bytes) ?? Allocate(bytes);
            }
        }
        StepRecording.For(_device)?.Pin(raw);
        return new DeviceBuffer<T>(this, raw, length, guarded);
    }

    /// <summary>
    /// Keeps <paramref name="raw"/> out of the cache while pinned: released meanwhile, it stays live until the last
    /// <see cref="Unpin"/> (a captured step's replays write to it).
    /// </summary>
    internal void Pin(RawBuffer raw)
    {
        lock (_gate)
        {
            raw.Pins++;
        }
    }

    /// <summary>Undoes one <see cref="Pin"/>; memory released while pinned is released now.</summary>
    internal void Unpin(RawBuffer raw)
    {
        lock (_gate)
        {
            if (--raw.Pins == 0 && raw.ReleasedWhilePinned)
            {
                raw.ReleasedWhilePinned = false;
                Release(raw);
            }
        }
    }

    /// <summary>The pool's memory behind an ILGPU buffer, or null when the buffer is not rented from this pool.</summary>
    internal RawBuffer? RawOf(MemoryBuffer buffer)
    {
        lock (_gate)
        {
            return _rented.GetValueOrDefault(buffer);
        }
    }

    /// <summary>Frees every cached buffer (live ones stay), after taking back what finalizers queued.</summary>
    public void Trim()
    {
        lock (_gate)
        {
            DrainFinalized();
            FreeCachedDownTo(0);
        }
    }

    /// <summary>Starts the peak counters over from the live counters.</summary>
    internal void ResetPeak()
    {
        lock (_gate)
        {
            PeakLiveBytes = LiveBytes;
            PeakLiveBuffers = LiveBuffers;
        }
    }

    /// <summary>A one-line summary of the counters.</summary>
    /// <returns>The counters on one line.</returns>
    public override string ToString() =>
        $"{_device}: {LiveBuffers} live ({LiveBytes} B, peak {PeakLiveBytes} B), {CachedBuffers} cached " +
        $"({CachedBytes} B of {MaxCachedBytes} B), {DeviceAllocations} allocations, {Reuses} reuses, " +
        $"{Collections} collections";

    /// <summary>
    /// Takes back one lease on <paramref name="raw"/>; with the last one, the memory, and <paramref name="guard"/>, the
    /// leases' guard, is disarmed (a finalizer must not reclaim memory that may be rented again).
    /// </summary>
    internal void Return(RawBuffer raw, LeakGuard? guard)
    {
        lock (_gate)
        {
            if (--raw.Leases > 0)
            {
                return;
            }
            guard?.Dispose();
            Release(raw);
        }
    }

    /// <summary>One more lease on rented memory (a sub-lease: see <see cref="DeviceBuffer{T}.Share"/>).</summary>
    internal void AddLease(RawBuffer raw)
    {
        lock (_gate)
        {
            raw.Leases++;
        }
    }

    /// <summary>
    /// Queues <paramref name="raw"/>, whose leases' guard was finalized: every lease still counted on it was dropped
    /// undisposed (each holds the guard), so the next rental takes them all back.
    /// </summary>
    internal void Reclaim(RawBuffer raw) => _finalized.Enqueue(raw);

    private RawBuffer? TryReuse(long bytes)
    {
        if (!_free.TryGetValue(bytes, out var stack) || stack.Count == 0)
        {
            return null;
        }
        var raw = stack.Pop();
        CachedBuffers--;
        CachedBytes -= bytes;
        Reuses++;
        CountRented(raw);
        return raw;
    }

    private void CountRented(RawBuffer raw)
    {
        raw.Leases = 1;
        _rented[raw.Memory] = raw;
        LiveBuffers++;
        LiveBytes += raw.Bytes;
        PeakLiveBuffers = Math.Max(PeakLiveBuffers, LiveBuffers);
        PeakLiveBytes = Math.Max(PeakLiveBytes, LiveBytes);
    }

    private void DrainFinalized()
    {
        while (_finalized.TryDequeue(out var raw))
        {
            raw.Leases = 0;
            Release(raw);
        }
    }

    private void Release(RawBuffer raw)
    {
        if (raw.Pins > 0)
        {
            raw.ReleasedWhilePinned = true;
            return;
        }
        _rented.Remove(raw.Memory);
        LiveBuffers--;
        LiveBytes -= raw.Bytes;
        _liveAfterCollection = Math.Min(_liveAfterCollection, LiveBytes);
        if (raw.Bytes > MaxCachedBytes)
        {
            Free(raw);
            return;
        }
        // Room for the buffer just returned, which is likelier to be rented again than what the cache holds: a cache
        // filled once by large buffers would otherwise turn every later rental of another size into an allocation.
        FreeCachedDownTo(MaxCachedBytes - raw.Bytes);
        if (!_free.TryGetValue(raw.Bytes, out var stack))
        {
            _free[raw.Bytes] = stack = new Stack<RawBuffer>();
        }
        stack.Push(raw);
        CachedBuffers++;
        CachedBytes += raw.Bytes;
    }

    private static long BucketBytes(long bytes) =>
        bytes <= MinBucketBytes ? MinBucketBytes : (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)bytes);
}
