using System.Collections.Concurrent;
using System.Reflection;
using ILGPU;
using ILGPU.Runtime;

namespace MicrogradPlus.Backends;

/// <summary>
/// The launches of one training step, recorded instead of run, and the memory they touch, pinned: what
/// <c>Device.Capture</c> replays. While a recording is current (on the thread or async flow that started it, for its
/// device), <see cref="Device.Executor"/> hands out a <see cref="RecordingExecutor"/>: each launch is kept as a call to
/// the device's own executor with the very same operands, nothing runs. Every buffer rented during the recording, and
/// every buffer a recorded launch reads or writes, stays out of the pool until the recording is disposed, so a replay
/// finds its memory where the recording left it. Copies between the host and the device are refused while recording:
/// a replay would not repeat them.
/// </summary>
internal sealed class StepRecording : IDisposable
{
    private static readonly AsyncLocal<StepRecording?> Current = new();
    private static int s_active;

    private readonly List<Action> _steps = [];
    private readonly HashSet<RawBuffer> _pinned = new(ReferenceEqualityComparer.Instance);
    private readonly Lock _gate = new();
    private int _recording = 1;
    private bool _disposed;

    private StepRecording(Device device)
    {
        Device = device;
        Executor = new RecordingExecutor(device, device.Executor, this);
    }

    /// <summary>The device whose launches are recorded.</summary>
    public Device Device { get; }

    /// <summary>The executor that records instead of running.</summary>
    public Executor Executor { get; }

    /// <summary>Recorded entries: launches and host steps (an optimizer's update).</summary>
    public int Count => _steps.Count;

    /// <summary>Buffers held for the replays.</summary>
    public int PinnedBuffers => _pinned.Count;

    /// <summary>
    /// Starts recording the launches for <paramref name="device"/> made on this thread and the async flow that
    /// follows; <see cref="Stop"/> ends it. One recording at a time per flow.
    /// </summary>
    public static StepRecording Start(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (Current.Value is { IsRecording: true } open)
        {
            throw new InvalidOperationException(
                $"a step is already being captured on {open.Device}; captures do not nest");
        }
        var recording = new StepRecording(device);
        Current.Value = recording;
        Interlocked.Increment(ref s_active);
        return recording;
    }

    /// <summary>The recording current on this flow for <paramref name="device"/>, if any (cheap when none is).</summary>
    public static StepRecording? For(Device device) => Any is { } r && ReferenceEquals(r.Device, device) ? r : null;

    /// <summary>The recording current on this flow for any device, if any.</summary>
    public static StepRecording? Any => Volatile.Read(ref s_active) != 0 && Current.Value is { IsRecording: true } r
        ? r
        : null;

    /// <summary>Whether launches are still being recorded.</summary>
    public bool IsRecording => Volatile.Read(ref _recording) == 1;

    /// <summary>Ends the recording: later launches on this flow run again.</summary>
    public void Stop()
    {
        if (Interlocked.Exchange(ref _recording, 0) == 0)
        {
            return;
        }
        if (ReferenceEquals(Current.Value, this))
        {
            Current.Value = null;
        }
        Interlocked.Decrement(ref s_active);
    }

    /// <summary>Runs <paramref name="body"/> eagerly even while recording (a constant filled once per device).</summary>
    public static T Outside<T>(Func<T> body)
    {
        var saved = Current.Value;
        if (saved is null)
        {
            return body();
        }
        Current.Value = null;
        try
        {
            return body();
        }
        finally
        {
            Current.Value = saved;
        }
    }

    /// <summary>Keeps <paramref name="replay"/> as the next entry of the step.</summary>
    public void Record(Action replay)
    {
        ArgumentNullException.ThrowIfNull(replay);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!IsRecording)
            {
                throw new InvalidOperationException("the capture has ended; nothing more can be recorded");
            }
            _steps.Add(replay);
        }
    }

    /// <summary>
    /// Runs every entry in order, as the step ran them. Replays of one recording take turns: two at once would write
    /// the same memory.
    /// </summary>
    public void Replay()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (IsRecording)
            {
                throw new InvalidOperationException("a step cannot be replayed while it is being captured");
            }
            foreach (var step in _steps)
            {
                step();
            }
        }
    }

    /// <summary>Refuses what a replay could not repeat: <paramref name="what"/> names it and the way out.</summary>
    public InvalidOperationException Refuse(string what) =>
        new($"{Device}: {what}; a captured step runs only device work on memory it already has (see Device.Capture)");

    /// <summary>Holds <paramref name="raw"/> out of the pool until the recording is disposed.</summary>
    public void Pin(RawBuffer raw)
    {
        lock (_gate)
        {
            if (_pinned.Add(raw))
            {
                Device.Pool.Pin(raw);
            }
        }
    }

    /// <summary>A lease on <paramref name="buffer"/>'s memory for the replays, which keeps it pinned.</summary>
    public DeviceBuffer<T> Hold<T>(DeviceBuffer<T> buffer) where T : unmanaged
    {
        if (buffer.Length == 0)
        {
            return buffer; // the pool's shared zero-length lease: no memory to hold
        }
        var raw = buffer.Raw ?? throw Refuse($"a launch used a {buffer.Length}-element buffer after it was disposed");
        Pin(raw);
        return buffer.Borrow(raw);
    }

    /// <summary>The same view over a held lease of its buffer.</summary>
    public StridedView<T> Hold<T>(StridedView<T> view) where T : unmanaged =>
        new(Hold(view.Buffer), view.Shape, view.Strides, view.Offset);

    /// <summary>Pins the memory behind <paramref name="view"/>.</summary>
    public void Hold<T>(ArrayView<T> view) where T : unmanaged
    {
        if (view.IsValid && ((IArrayView)view).Buffer is { } buffer)
        {
            PinMemory(buffer);
        }
    }

    /// <summary>Pins the memory behind every array view among the fields of <paramref name="body"/>, nested ones too.</summary>
    public void HoldViewsOf<TBody>(in TBody body) where TBody : struct
    {
        foreach (var buffer in ViewFields.Of(body))
        {
            PinMemory(buffer);
        }
    }

    // Memory outside the pool is the device's constants (the one of a backward seed, a placeholder bias), which live
    // as long as the device.
    private void PinMemory(MemoryBuffer buffer)
    {
        if (Device.Pool.RawOf(buffer) is { } raw)
        {
            Pin(raw);
        }
    }

    /// <summary>Unpins everything: memory released during the recording goes back to the pool now.</summary>
    public void Dispose()
    {
        Stop();
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            foreach (var raw in _pinned)
            {
                Device.Pool.Unpin(raw);
            }
            _pinned.Clear();
            _steps.Clear();
        }
    }

    /// <summary>Finds the ILGPU buffers behind the array views of a struct, through its fields (cached per type).</summary>
    private static class ViewFields
    {
        private static readonly ConcurrentDictionary<Type, Func<object, IEnumerable<MemoryBuffer>>> Readers = new();

        public static IEnumerable<MemoryBuffer> Of<TBody>(in TBody body) where TBody : struct =>
            Readers.GetOrAdd(typeof(TBody), Build)(body);

        private static Func<object, IEnumerable<MemoryBuffer>> Build(Type type)
        {
            var fields = type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
                .Where(f => f.FieldType.IsValueType)
                .ToArray();
            return boxed => Walk(boxed, fields);
        }

        private static IEnumerable<MemoryBuffer> Walk(object boxed, FieldInfo[] fields)
        {
            foreach (var field in fields)
            {
                object? value = field.GetValue(boxed);
                if (value is IArrayView view)
                {
                    if (view.IsValid && view.Buffer is { } buffer)
                    {
                        yield return buffer;
                    }
                }
                else if (value is not null && !field.FieldType.IsPrimitive && !field.FieldType.IsEnum)
                {
                    foreach (var inner in Readers.GetOrAdd(field.FieldType, Build)(value))
                    {
                        yield return inner;
                    }
                }
            }
        }
    }
}
