using MicrogradPlus.Backends;

namespace MicrogradPlus;

/// <summary>
/// The device memory behind one or more tensors. A tensor and every view of it hold one reference each; the buffer
/// goes back to its pool when the last one is disposed — unless the storage is constant: memory its device owns
/// (<see cref="Device.One{T}"/>, the 1 that seeds backward), which no release returns, no tensor may write to, and no
/// leaf may take over as its gradient.
/// </summary>
internal sealed class Storage
{
    // One lease, typed by DType: a tensor of every kind costs one field, not one per element type.
    private readonly IDeviceBuffer _buffer;
    private int _references = 1;
    private int _version;

    public Storage(DeviceBuffer<float> buffer, bool constant = false)
        : this(buffer, DType.Float32, constant)
    {
    }

    public Storage(DeviceBuffer<double> buffer, bool constant = false)
        : this(buffer, DType.Float64, constant)
    {
    }

    public Storage(DeviceBuffer<int> buffer)
        : this(buffer, DType.Int32, constant: false)
    {
    }

    private Storage(IDeviceBuffer buffer, DType dtype, bool constant)
    {
        _buffer = buffer;
        DType = dtype;
        IsConstant = constant;
    }

    public DeviceBuffer<float>? Float32 => Buffer<float>();

    public DeviceBuffer<double>? Float64 => Buffer<double>();

    public DeviceBuffer<int>? Int32 => Buffer<int>();

    /// <summary>The lease as <typeparamref name="T"/> elements, or null when the storage holds another type.</summary>
    public DeviceBuffer<T>? Buffer<T>() where T : unmanaged => _buffer as DeviceBuffer<T>;

    /// <summary>A storage over a lease of float, double or int elements (the type decides the <see cref="DType"/>).</summary>
    public static Storage Of<T>(DeviceBuffer<T> buffer) where T : unmanaged => buffer switch
    {
        DeviceBuffer<float> f => new Storage(f),
        DeviceBuffer<double> d => new Storage(d),
        DeviceBuffer<int> i => new Storage(i),
        _ => throw new NotSupportedException($"no tensor storage of {typeof(T).Name}"),
    };

    public DType DType { get; }

    public Device Device => _buffer.Device;

    public long Length => _buffer.Length;

    /// <summary>Whether the device owns this memory (see the class summary): to read, never write or keep.</summary>
    public bool IsConstant { get; }

    public bool IsReleased => Volatile.Read(ref _references) <= 0;

    /// <summary>Whether more than one tensor (a tensor and its views) holds this memory.</summary>
    public bool IsShared => Volatile.Read(ref _references) > 1;

    public void AddReference() => Interlocked.Increment(ref _references);

    /// <summary>
    /// How many in-place writes this memory has had (PyTorch's version counter): the graph notes it for every tensor
    /// an op saves, and backward refuses to use a tensor whose memory was written since.
    /// </summary>
    public int Version => Volatile.Read(ref _version);

    /// <summary>Counts an in-place write into this memory (every view of it sees the new version).</summary>
    public void BumpVersion() => Interlocked.Increment(ref _version);

    /// <summary>
    /// Makes the memory go back to the pool if every tensor on it is dropped undisposed: for memory that no scope
    /// will dispose (see <see cref="DeviceBuffer{T}"/>'s remarks). Constant memory needs none: its device keeps it.
    /// </summary>
    public void Guard()
    {
        if (IsConstant)
        {
            return;
        }
        // With leak tracking on, the guard remembers who made the memory's first unscoped tensor (a stack walk: slow).
        _buffer.Guard(LeakTracker.Current is { } tracker ? new LeakOrigin(tracker, Autograd.CallerSite()) : null);
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0 && !IsConstant)
        {
            _buffer.Dispose();
        }
    }
}
