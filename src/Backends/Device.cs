using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using MicrogradPlus.Backends;
using IlgpuDevice = ILGPU.Runtime.Device;

namespace MicrogradPlus;

/// <summary>
/// One accelerator: ILGPU's CPU accelerator, an OpenCL device or a CUDA GPU. Devices are discovered once per process
/// from one ILGPU <see cref="Context"/>; each accelerator is created on first use and disposed, after its buffer pool,
/// when the process exits. Every device owns a <see cref="BufferPool"/> and a kernel cache.
/// </summary>
public sealed partial class Device
{
    /// <summary>The environment variable that picks <see cref="Default"/>: cpu, cuda, opencl (optionally ":index").</summary>
    public const string EnvironmentVariable = "MICROGRAD_DEVICE";

    private static readonly Lazy<Registry> Devices = new(Registry.Create, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<Device> DefaultDevice = new(() => SelectDefault(out _));

    private readonly IlgpuDevice _info;
    private readonly Context _context;
    private readonly Lock _gate = new();
    private Accelerator? _accelerator;
    private AcceleratorStream? _stream;
    private KernelCache? _kernels;

    private Device(Context context, IlgpuDevice info, DeviceKind kind, int index)
    {
        _context = context;
        _info = info;
        Kind = kind;
        Index = index;
        Pool = new BufferPool(this);
        _blas = new(LoadBlas);
        _hostLoops = kind == DeviceKind.Cpu;
    }

    /// <summary>The kind of accelerator.</summary>
    public DeviceKind Kind { get; }

    /// <summary>The index among devices of the same kind.</summary>
    public int Index { get; }

    /// <summary>The hardware's name as ILGPU reports it.</summary>
    public string Name => _info.Name;

    /// <summary>Device memory in bytes.</summary>
    public long MemoryBytes => _info.MemorySize;

    /// <summary>Threads per warp (32 on NVIDIA GPUs).</summary>
    public int WarpSize => _info.WarpSize;

    /// <summary>The largest thread group the device runs.</summary>
    public int MaxGroupSize => _info.MaxNumThreadsPerGroup;

    /// <summary>Multiprocessors (SMs on NVIDIA GPUs, cores on the CPU accelerator).</summary>
    public int Multiprocessors => _info.NumMultiprocessors;

    /// <summary>The device's pool of memory buffers.</summary>
    public BufferPool Pool { get; }

    private BufferPool? _constants;
    private DeviceBuffer<float>? _oneF32;
    private DeviceBuffer<double>? _oneF64;

    /// <summary>
    /// A one-element buffer holding 1, filled once per device and never returned: the seed of a backward pass from a
    /// scalar, so that a training step launches no fill for it. It comes from a pool of its own, so
    /// <see cref="Pool"/>'s counters show only what tensors hold. Float32 or float64.
    /// </summary>
    internal DeviceBuffer<T> One<T>() where T : unmanaged
    {
        lock (_gate)
        {
            _constants ??= new BufferPool(this);
            if (typeof(T) == typeof(float))
            {
                _oneF32 ??= Filled(_constants.Rent<float>(1), 1f);
                return (DeviceBuffer<T>)(object)_oneF32;
            }
            if (typeof(T) == typeof(double))
            {
                _oneF64 ??= Filled(_constants.Rent<double>(1), 1d);
                return (DeviceBuffer<T>)(object)_oneF64;
            }
            throw new NotSupportedException($"no constant one of type {typeof(T).Name}");
        }

        // Filled now even while a step is being captured: the constant outlives any capture.
        static DeviceBuffer<TValue> Filled<TValue>(DeviceBuffer<TValue> buffer, TValue value) where TValue : unmanaged =>
            StepRecording.Outside(() =>
            {
                Primitives.Fill(buffer, value);
                return buffer;
            });
    }

    /// <summary>The CPU accelerator, always present.</summary>
    public static Device Cpu => Devices.Value.All[0];

    /// <summary>The CUDA GPU with this index; throws, listing what is available, when there is none.</summary>
    /// <param name="index">The GPU's index among the CUDA devices, from 0.</param>
    /// <returns>The device (one instance per device, for the process's lifetime).</returns>
    public static Device Cuda(int index = 0) => Find(DeviceKind.Cuda, index);

    /// <summary>The OpenCL device with this index; throws, listing what is available, when there is none.</summary>
    /// <param name="index">The device's index among the usable OpenCL devices, from 0.</param>
    /// <returns>The device (one instance per device, for the process's lifetime).</returns>
    public static Device OpenCL(int index = 0) => Find(DeviceKind.OpenCL, index);

    /// <summary>Every device this machine has: the CPU first, then OpenCL and CUDA devices.</summary>
    public static IReadOnlyList<Device> Available => Devices.Value.All;

    /// <summary>
    /// The device tensors go to when none is named: <c>MICROGRAD_DEVICE</c> (cpu, cuda, opencl, optionally ":index")
    /// if set, else the best available — CUDA, then OpenCL, then the CPU.
    /// </summary>
    public static Device Default => DefaultDevice.Value;

    /// <summary>Why <see cref="Default"/> is what it is, for logs ("MICROGRAD_DEVICE=cpu", "best available").</summary>
    public static string DefaultReason
    {
        get
        {
            SelectDefault(out string reason);
            return reason;
        }
    }

    /// <summary>Whether a device of this kind is present.</summary>
    /// <param name="kind">The kind of device.</param>
    /// <returns>True when <see cref="Available"/> holds one of that kind.</returns>
    public static bool IsAvailable(DeviceKind kind) => Devices.Value.All.Any(d => d.Kind == kind);

    /// <summary>Why no device of this kind is present (empty when one is).</summary>
    /// <param name="kind">The kind of device.</param>
    /// <returns>The reason in a few words (such as "no CUDA driver (libcuda.so.1 not found)"), or "".</returns>
    public static string WhyUnavailable(DeviceKind kind) =>
        IsAvailable(kind) ? "" : Devices.Value.Missing.GetValueOrDefault(kind, $"no {kind} device found");

    /// <summary>
    /// Parses "cpu", "cuda", "cuda:1", "opencl", "opencl:0" or "auto" (the best available) into a device.
    /// </summary>
    /// <param name="spec">A device name, optionally with <c>:index</c>, in any case.</param>
    /// <returns>The device.</returns>
    /// <example>
    /// <code>
    /// var device = Device.Parse(args.Length > 0 ? args[0] : "auto"); // "cpu", "cuda:1", ...
    /// var x = Tensor.Ones([3], device);
    /// </code>
    /// </example>
    public static Device Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string text = spec.Trim().ToLowerInvariant();
        int index = 0;
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            if (!int.TryParse(text[(colon + 1)..], System.Globalization.NumberStyles.None,
                    System.Globalization.CultureInfo.InvariantCulture, out index))
            {
                throw new ArgumentException($"device '{spec}': the index after ':' must be a non-negative integer " +
                                            $"(available: {AvailableNames()})", nameof(spec));
            }
            text = text[..colon];
        }
        return text switch
        {
            "auto" => Best,
            "cpu" => index == 0 ? Cpu : Find(DeviceKind.Cpu, index),
            "cuda" or "gpu" => Find(DeviceKind.Cuda, index),
            "opencl" or "cl" => Find(DeviceKind.OpenCL, index),
            _ => throw new ArgumentException(
                $"unknown device '{spec}': use cpu, cuda, opencl or auto (available: {AvailableNames()})"),
        };
    }

    /// <summary>The best available device: CUDA, then OpenCL, then the CPU.</summary>
    public static Device Best =>
        Available.FirstOrDefault(d => d.Kind == DeviceKind.Cuda)
        ?? Available.FirstOrDefault(d => d.Kind == DeviceKind.OpenCL)
        ?? Cpu;

    /// <summary>Waits until all work queued on this device has finished.</summary>
    public void Synchronize() => Accelerator.Synchronize();

    /// <summary>"cpu", "cuda:0", "opencl:0".</summary>
    /// <returns>The device's short name, e.g. "cpu" or "cuda:0".</returns>
    public override string ToString() => Kind switch
    {
        DeviceKind.Cpu => "cpu",
        DeviceKind.Cuda => $"cuda:{Index}",
        _ => $"opencl:{Index}",
    };

    /// <summary>A one-line description for logs and benchmarks: name, memory, warp size, multiprocessors.</summary>
    /// <returns>The description on one line.</returns>
    public string Describe() =>
        $"{this} ({Name}; {(Kind == DeviceKind.Cpu ? "host memory" : $"{MemoryBytes / (1024.0 * 1024 * 1024):0.0} GiB")}; " +
        $"warp {WarpSize}; " +
        $"max group {MaxGroupSize}; {Multiprocessors} multiprocessors)";

    internal Accelerator Accelerator
    {
        get
        {
            if (_accelerator is { } ready)
            {
                return ready;
            }
            lock (_gate)
            {
                if (_accelerator is null)
                {
                    var accelerator = _info.CreateAccelerator(_context);
                    _stream = CreateStream(accelerator);
                    _kernels = new KernelCache(accelerator);
                    _accelerator = accelerator; // last: the fast path above reads it without the lock
                }
                return _accelerator;
            }
        }
    }

    /// <summary>
    /// The one queue of this device's work: every kernel launch, copy and cuBLAS call goes to it, in order. A stream
    /// of the library's own rather than the accelerator's default, because on CUDA that default is the legacy NULL
    /// stream, which cannot be captured into a CUDA graph.
    /// </summary>
    internal AcceleratorStream Stream
    {
        get
        {
            _ = Accelerator;
            return _stream!;
        }
    }

    // On CUDA a blocking stream (CU_STREAM_DEFAULT): work that anything else puts on the legacy stream (another
    // library, a stray default-stream call) still runs in order with ours. Elsewhere the accelerator's own kind of
    // stream (an OpenCL in-order queue; the CPU accelerator's).
    private static AcceleratorStream CreateStream(Accelerator accelerator) => accelerator is CudaAccelerator cuda
        ? cuda.CreateStream(StreamFlags.CU_STREAM_DEFAULT)
        : accelerator.CreateStream();

    internal KernelCache Kernels
    {
        get
        {
            _ = Accelerator;
            return _kernels!;
        }
    }

    private static Device Find(DeviceKind kind, int index)
    {
        var ofKind = Available.Where(d => d.Kind == kind).ToList();
        if (index < 0 || index >= ofKind.Count)
        {
            string why = ofKind.Count == 0 ? $" ({WhyUnavailable(kind)})" : "";
            throw new InvalidOperationException(
                $"no {kind} device with index {index}{why}; available: {AvailableNames()}");
        }
        return ofKind[index];
    }

    private static string AvailableNames() => string.Join(", ", Available.Select(d => $"{d} [{d.Name}]"));

    private static Device SelectDefault(out string reason)
    {
        string? requested = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(requested))
        {
            reason = $"{EnvironmentVariable}={requested}";
            try
            {
                return Parse(requested);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                throw new ArgumentException($"{EnvironmentVariable}={requested}: {e.Message}", e);
            }
        }
        var best = Best;
        reason = best.Kind == DeviceKind.Cpu
            ? $"best available (no GPU: {WhyUnavailable(DeviceKind.Cuda)}; {WhyUnavailable(DeviceKind.OpenCL)})"
            : "best available";
        return best;
    }

    /// <summary>The process-wide ILGPU context and the devices found in it.</summary>
    private sealed class Registry
    {
        public required Context Context { get; init; }
        public required List<Device> All { get; init; }
        public required Dictionary<DeviceKind, string> Missing { get; init; }

        public static Registry Create()
        {
            NativeLibraries.Install();
            var cpu = new CPUDevice(CpuThreadsPerWarp, CpuWarpsPerMultiprocessor, Environment.ProcessorCount);
            var missing = new Dictionary<DeviceKind, string>();
            Context context;
            try
            {
                // EnableAlgorithms supplies the PTX implementations of MathF.Exp/Log/Tanh…: without it every CUDA
                // kernel using them fails to compile ("'LogF' does not have an intrinsic implementation").
                context = Context.Create(b =>
                    b.CPU(cpu).Cuda().OpenCL().EnableAlgorithms().Optimize(OptimizationLevel.O2));
            }
            catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or InvalidOperationException)
            {
                missing[DeviceKind.Cuda] = missing[DeviceKind.OpenCL] = $"GPU discovery failed: {e.Message}";
                context = Context.Create(b => b.CPU(cpu).Optimize(OptimizationLevel.O2));
            }
            var all = new List<Device>();
            foreach (var kind in new[] { DeviceKind.Cpu, DeviceKind.OpenCL, DeviceKind.Cuda })
            {
                var type = kind switch
                {
                    DeviceKind.Cpu => AcceleratorType.CPU,
                    DeviceKind.OpenCL => AcceleratorType.OpenCL,
                    _ => AcceleratorType.Cuda,
                };
                int index = 0;
                foreach (var info in context.Devices.Where(d => d.AcceleratorType == type))
                {
                    all.Add(new Device(context, info, kind, index++));
                }
            }
            missing.TryAdd(DeviceKind.Cuda, NativeLibrary("libcuda.so.1")
                ? "the CUDA driver loaded but reported no device ILGPU supports"
                : "no CUDA driver (libcuda.so.1 not found)");
            missing.TryAdd(DeviceKind.OpenCL, NativeLibrary("libOpenCL.so.1")
                ? "no OpenCL device with what ILGPU needs (OpenCL C 2.0, or 3.0 with generic address space; " +
                  "Debian 12's PoCL 3.1 lacks it — .ci/pocl-chroot.sh builds a Debian 13 PoCL 6 chroot)"
                : "no OpenCL ICD loader (libOpenCL.so.1 not found)");
            var registry = new Registry { Context = context, All = all, Missing = missing };
            AppDomain.CurrentDomain.ProcessExit += (_, _) => registry.Dispose();
            return registry;
        }

        private static bool NativeLibrary(string name)
        {
            if (System.Runtime.InteropServices.NativeLibrary.TryLoad(name, out IntPtr handle))
            {
                System.Runtime.InteropServices.NativeLibrary.Free(handle);
                return true;
            }
            return false;
        }

        private void Dispose()
        {
            // Order matters: pooled buffers and cuBLAS handles, then their accelerators, then the context.
            foreach (var device in All)
            {
                device.Pool.Trim();
                if (device._blas.IsValueCreated)
                {
                    device._blas.Value.Gemm?.Dispose();
                }
            }
            foreach (var device in All)
            {
                device._stream?.Dispose();
                device._accelerator?.Dispose();
            }
            Context.Dispose();
        }
    }

    // Measured on a 2-core machine, 4M-element add: (4 threads/warp, 1 warp, cores) 22 ms and (2, 1, cores) 18–25 ms
    // against 60 ms for (4, 4, cores). Groups of 4 still let the tiled matmul and the tree reduction run real
    // 2×2 tiles and 4-wide trees on the CPU.
    private const int CpuThreadsPerWarp = 4;
    private const int CpuWarpsPerMultiprocessor = 1;
}
