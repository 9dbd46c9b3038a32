using Xunit;

namespace MicrogradPlus.Tests.Infrastructure;

/// <summary>
/// The devices every kernel and op test runs on. "cpu" is the CPU device as users get it (host loops for small
/// work); "cpu-ilgpu" is the same accelerator with host loops off, so every body also runs through ILGPU's CPU
/// kernels; "opencl" and "cuda" run when present and are reported skipped, with the reason, when not.
/// MICROGRAD_TEST_DEVICES (comma-separated) restricts the run, e.g. to "opencl" inside the PoCL chroot.
/// </summary>
public static class TestDevices
{
    /// <summary>Theory data: one row per device name.</summary>
    public static TheoryData<string> All => ["cpu", "cpu-ilgpu", "opencl", "cuda"];

    /// <summary>
    /// The device for <paramref name="name"/>, or a skip with the reason. Dispose the returned scope to restore the
    /// CPU device's host-loop setting.
    /// </summary>
    public static DeviceScope Use(string name)
    {
        string? only = Environment.GetEnvironmentVariable("MICROGRAD_TEST_DEVICES");
        if (!string.IsNullOrWhiteSpace(only) &&
            !only.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Contains(name))
        {
            Assert.Skip($"{name}: not selected by MICROGRAD_TEST_DEVICES={only}");
        }
        var kind = name switch
        {
            "cpu" or "cpu-ilgpu" => DeviceKind.Cpu,
            "opencl" => DeviceKind.OpenCL,
            "cuda" => DeviceKind.Cuda,
            _ => throw new ArgumentException($"unknown test device '{name}'"),
        };
        if (!Device.IsAvailable(kind))
        {
            Assert.Skip($"{name}: {Device.WhyUnavailable(kind)}");
        }
        var device = kind switch
        {
            DeviceKind.Cpu => Device.Cpu,
            DeviceKind.OpenCL => Device.OpenCL(),
            _ => Device.Cuda(),
        };
        return new DeviceScope(device, hostLoops: name == "cpu");
    }
}

/// <summary>A device chosen for one test, with the CPU device's executor set for the test's duration.</summary>
public sealed class DeviceScope : IDisposable
{
    private readonly bool _previous;

    internal DeviceScope(Device device, bool hostLoops)
    {
        Device = device;
        _previous = device.RunsHostLoops;
        if (device.Kind == DeviceKind.Cpu)
        {
            device.RunsHostLoops = hostLoops;
        }
    }

    /// <summary>The device under test.</summary>
    public Device Device { get; }

    /// <summary>Restores the CPU device's executor.</summary>
    public void Dispose()
    {
        if (Device.Kind == DeviceKind.Cpu)
        {
            Device.RunsHostLoops = _previous;
        }
    }
}
