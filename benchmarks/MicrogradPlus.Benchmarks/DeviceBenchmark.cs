using BenchmarkDotNet.Attributes;

namespace MicrogradPlus.Benchmarks;

/// <summary>
/// The base of the benchmarks that run on every selected device: the Device parameter and the device it opens.
/// Derived classes allocate their inputs in [GlobalSetup] (after <see cref="OpenDevice"/>) so nothing is allocated
/// in the timed region, and end every benchmark call with <c>Dev.Synchronize()</c>: GPU launches are asynchronous.
/// </summary>
public abstract class DeviceBenchmark
{
    /// <summary>The device name: cpu, cpu-ilgpu, opencl or cuda (see <see cref="BenchDevice"/>).</summary>
    [ParamsSource(nameof(DeviceNames))]
    public string Device { get; set; } = "cpu";

    /// <summary>The device opened by <see cref="OpenDevice"/>.</summary>
    protected MicrogradPlus.Device Dev { get; private set; } = MicrogradPlus.Device.Cpu;

    /// <summary>The selected devices (--devices).</summary>
    public static IEnumerable<string> DeviceNames() => BenchSettings.Devices;

    /// <summary>Opens <see cref="Device"/>; call first in [GlobalSetup].</summary>
    protected void OpenDevice() => Dev = BenchDevice.Open(Device);

    /// <summary>Restores the device; call last in [GlobalCleanup].</summary>
    protected void CloseDevice() => BenchDevice.Close(Dev);
}
