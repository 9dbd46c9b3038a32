using MicrogradPlus.Backends;

namespace MicrogradPlus.Benchmarks;

/// <summary>
/// Opens a device by its benchmark name: "cpu" (the host executor, as users get it),
/// "cpu-ilgpu" (the kernel executor on the same accelerator: every op runs as an ILGPU CPU kernel), "opencl", "cuda".
/// </summary>
internal static class BenchDevice
{
    /// <summary>
    /// The device for <paramref name="name"/>, with the CPU host-loop setting that name stands for. Synchronizes
    /// once, which also binds a GPU accelerator to the calling thread (BenchmarkDotNet's in-process toolchain runs each
    /// case on a thread of its own).
    /// </summary>
    public static Device Open(string name)
    {
        var device = name switch
        {
            "cpu" or "cpu-ilgpu" => Device.Cpu,
            "opencl" => Device.OpenCL(),
            "cuda" => Device.Cuda(),
            _ => throw new ArgumentException(
                $"unknown benchmark device '{name}': use {string.Join(", ", BenchSettings.KnownDevices)}"),
        };
        if (device.Kind == DeviceKind.Cpu)
        {
            device.RunsHostLoops = name != "cpu-ilgpu";
        }
        device.Synchronize();
        return device;
    }

    /// <summary>Restores the CPU host-loop setting and frees the device's cached buffers.</summary>
    public static void Close(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        device.Synchronize();
        if (device.Kind == DeviceKind.Cpu)
        {
            device.RunsHostLoops = true;
        }
        device.Pool.Trim();
    }

    /// <summary>A buffer of <paramref name="length"/> uniform numbers in [-1, 1) on the device.</summary>
    public static DeviceBuffer<float> Random(Device device, long length, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(device);
        var buffer = device.Pool.Rent<float>(length);
        Primitives.Uniform(buffer, seed, -1f, 1f);
        return buffer;
    }
}

/// <summary>
/// Caps the size parameter (Size, N or Rows) of a benchmark method on the CPU devices: larger cases are left out
/// of the run (they would take minutes on the CPU accelerator and add nothing).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class CpuMaxSizeAttribute(int max) : Attribute
{
    /// <summary>The largest size run on "cpu" and "cpu-ilgpu".</summary>
    public int Max { get; } = max;

    /// <summary>The largest size in --quick (default: <see cref="Max"/>; 0 leaves the method out of --quick).</summary>
    public int QuickMax { get; set; } = -1;
}

/// <summary>A benchmark method that runs on GPUs only (its kernel needs groups the CPU accelerator does not have).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class GpuOnlyAttribute : Attribute;

/// <summary>A benchmark method that runs on the CPU devices only (on GPUs it would duplicate another method).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class CpuOnlyAttribute : Attribute;
