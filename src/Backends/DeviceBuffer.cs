using ILGPU;
using ILGPU.Runtime;

namespace MicrogradPlus.Backends;

/// <summary>
/// A lease on pooled device memory holding <see cref="Length"/> elements of <typeparamref name="T"/>. Dispose returns
/// the memory to its pool; an undisposed lease that the GC finds unreachable is queued for the pool to reclaim, through
/// its <see cref="LeakGuard"/>.
/// </summary>
/// <remarks>
/// The guard is a separate finalizable object because registering one for finalization makes an allocation several
/// times dearer (about 0.1 µs, a fifth of a tensor op's host cost): tensors created inside a
/// <c>Tensor.Scope()</c>, which the scope disposes, start without one and get it only if they leave the scope alive.
/// A lease of zero elements holds no memory: its pool hands out one such lease per element type to every renter,
/// and disposing or guarding it does nothing (a file of many empty tensors costs no device memory, nor a finalizer).
/// </remarks>
internal sealed class DeviceBuffer<T> : IDeviceBuffer where T : unmanaged
{
    /// <summary>Where sub-leases may start: a multiple of this many elements (see <see cref="Share"/>).</summary>
    internal const int ShareAlignment = 4;

    private readonly BufferPool _pool;
    private readonly ArrayView<T> _view;
    private RawBuffer? _raw;
    private LeakGuard? _guard;

    internal DeviceBuffer(BufferPool pool, RawBuffer raw, long length, bool guarded)
        : this(pool, raw, raw.Memory.View.AsContiguous().Cast<T>().SubView(0, length),
            guarded ? new LeakGuard(pool, raw) : null)
    {
    }

    private DeviceBuffer(BufferPool pool, RawBuffer raw, ArrayView<T> view, LeakGuard? guard)
    {
        _pool = pool;
        _raw = raw;
        _view = view;
        _guard = guard;
    }

    /// <summary>The zero-length lease of <paramref name="pool"/> (see the remarks): no memory, nothing to return.</summary>
    internal DeviceBuffer(BufferPool pool)
    {
        _pool = pool;
        _view = ArrayView<T>.Empty;
    }

    /// <summary>The memory, or null once disposed (and for a zero-length lease).</summary>
    internal RawBuffer? Raw => _raw;

    /// <summary>
    /// A second lease on this lease's memory, <paramref name="raw"/>, for a holder that keeps the memory out of the
    /// pool some other way (a captured step pins what its launches use) and never disposes the lease: it has no guard,
    /// and it stays usable after this lease is disposed.
    /// </summary>
    internal DeviceBuffer<T> Borrow(RawBuffer raw) => new(_pool, raw, _view, guard: null);

    /// <summary>
    /// A lease of its own on elements [<paramref name="start"/>, start + <paramref name="length"/>) of this lease's
    /// memory (a sub-lease): many tensors in one allocation. The memory goes back to the pool when this lease and
    /// every sub-lease are disposed; all of them share this lease's guard (made now if it had none), so those dropped
    /// undisposed come back together once none is reachable, for one finalizable object per allocation, not one per
    /// sub-lease. <paramref name="start"/> is a multiple of four: kernels load four elements at a time from a view
    /// that starts on a four-element boundary of its lease, which must then be one of the memory's too.
    /// </summary>
    internal DeviceBuffer<T> Share(long start, long length)
    {
        if (start < 0 || start % ShareAlignment != 0 || length < 1 || start + length > Length)
        {
            throw new ArgumentOutOfRangeException(nameof(start),
                $"a sub-lease of {length} elements at {start} of a {Length}-element buffer on {Device}: it needs " +
                $"elements inside the buffer and a start on a multiple of {ShareAlignment}");
        }
        var view = View.SubView(start, length);
        var raw = _raw!;
        _guard ??= new LeakGuard(_pool, raw);
        _pool.AddLease(raw);
        return new DeviceBuffer<T>(_pool, raw, view, _guard);
    }

    /// <summary>
    /// From now on, dropping this lease undisposed returns its memory to the pool (for a lease that something other
    /// than a scope will own). Nothing after Dispose.
    /// </summary>
    public void Guard(LeakOrigin? origin = null)
    {
        if (_guard is null && _raw is { } raw)
        {
            _guard = new LeakGuard(_pool, raw) { Origin = origin };
        }
    }

    /// <summary>The device the memory lives on.</summary>
    public Device Device => _pool.Device;

    /// <summary>Number of elements.</summary>
    public long Length => _view.Length;

    /// <summary>Whether the buffer has been returned to its pool (never, for a zero-length lease).</summary>
    public bool IsDisposed => _raw is null && Length > 0;

    internal ArrayView<T> View
    {
        get
        {
            if (IsDisposed)
            {
                throw new ObjectDisposedException(nameof(DeviceBuffer<T>),
                    $"a {Length}-element buffer on {Device} was used after Dispose");
            }
            return _view;
        }
    }

    /// <summary>Copies <paramref name="source"/> (exactly <see cref="Length"/> elements) to the device.</summary>
    public void CopyFrom(ReadOnlySpan<T> source)
    {
        if (source.Length != Length)
        {
            throw new ArgumentException(
                $"source has {source.Length} elements but the buffer on {Device} holds {Length}", nameof(source));
        }
        if (Length > 0)
        {
            Device.CountHostWrite();
            View.CopyFromCPU(Device.Stream, source);
        }
    }

    /// <summary>
    /// Copies <paramref name="source"/> into elements [<paramref name="start"/>, start + source.Length): fills the
    /// buffer piece by piece from a small host array.
    /// </summary>
    public void CopyFrom(long start, ReadOnlySpan<T> source)
    {
        if (start < 0 || start + source.Length > Length)
        {
            throw new ArgumentOutOfRangeException(nameof(start),
                $"elements {start}..{start + source.Length - 1} are outside the buffer of {Length} on {Device}");
        }
        if (source.Length > 0)
        {
            Device.CountHostWrite();
            View.SubView(start, source.Length).CopyFromCPU(Device.Stream, source);
        }
    }

    /// <summary>Copies the buffer into <paramref name="destination"/> (exactly <see cref="Length"/> elements).</summary>
    public void CopyTo(Span<T> destination)
    {
        if (destination.Length != Length)
        {
            throw new ArgumentException(
                $"destination has {destination.Length} elements but the buffer on {Device} holds {Length}",
                nameof(destination));
        }
        if (Length > 0)
        {
            Device.CountHostRead();
            View.CopyToCPU(Device.Stream, destination);
        }
    }

    /// <summary>
    /// Copies elements [<paramref name="start"/>, start + destination.Length) into <paramref name="destination"/>:
    /// reads only what a view needs, not the whole buffer.
    /// </summary>
    public void CopyTo(long start, Span<T> destination)
    {
        if (start < 0 || start + destination.Length > Length)
        {
            throw new ArgumentOutOfRangeException(nameof(start),
                $"elements {start}..{start + destination.Length - 1} are outside the buffer of {Length} on {Device}");
        }
        if (destination.Length > 0)
        {
            Device.CountHostRead();
            View.SubView(start, destination.Length).CopyToCPU(Device.Stream, destination);
        }
    }

    /// <summary>The contents as a new array (waits for queued work).</summary>
    public T[] ToArray()
    {
        var result = new T[Length];
        CopyTo(result);
        return result;
    }

    /// <summary>Returns the memory to the pool. Safe to call twice.</summary>
    public void Dispose()
    {
        var raw = Interlocked.Exchange(ref _raw, null);
        if (raw is not null)
        {
            _pool.Return(raw, _guard);
        }
    }
}

/// <summary>A lease whatever its element type: what an owner of one (a tensor's storage) needs of it.</summary>
internal interface IDeviceBuffer : IDisposable
{
    /// <summary>The device the memory lives on.</summary>
    Device Device { get; }

    /// <summary>Number of elements.</summary>
    long Length { get; }

    /// <summary>
    /// Returns the memory to the pool if the lease is dropped undisposed (nothing after Dispose); a leak tracker's
    /// <paramref name="origin"/> hears of it then.
    /// </summary>
    /// <param name="origin">Where the memory's owner was made, and who to tell of its leak; null: nobody asks.</param>
    void Guard(LeakOrigin? origin = null);
}

/// <summary>
/// Finalized with the leases that hold it (one, or a lease and its sub-leases: see
/// <see cref="DeviceBuffer{T}.Share"/>) once none is reachable and some were never disposed: frees nothing on the
/// device, only queues the memory for the pool (see <see cref="BufferPool"/>), which takes back every lease still
/// counted on it. The pool disarms it when the last lease is returned, so it never reclaims memory handed out again.
/// </summary>
internal sealed class LeakGuard(BufferPool pool, RawBuffer raw) : IDisposable
{
    ~LeakGuard()
    {
        pool.Reclaim(raw);
        Origin?.Sink.Leaked(Origin.Site, raw.Bytes);
    }

    /// <summary>Where the memory's first guarded owner was made, for a leak tracker (null when none was on).</summary>
    public LeakOrigin? Origin { get; init; }

    /// <summary>Disarms the guard: every lease on the memory was returned, there is nothing to reclaim.</summary>
    public void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>Hears of memory that was dropped undisposed (called on the finalizer thread; must not throw).</summary>
internal interface ILeakSink
{
    /// <summary>Memory of <paramref name="bytes"/> made at <paramref name="site"/> was dropped undisposed.</summary>
    /// <param name="site">Where its owner was made.</param>
    /// <param name="bytes">The allocation's size.</param>
    void Leaked(string site, long bytes);
}

/// <summary>Where a guarded lease's owner was made, and who wants to hear if it leaks.</summary>
/// <param name="Sink">Told of the leak.</param>
/// <param name="Site">The first frame outside the library that made the owner.</param>
internal sealed record LeakOrigin(ILeakSink Sink, string Site);
