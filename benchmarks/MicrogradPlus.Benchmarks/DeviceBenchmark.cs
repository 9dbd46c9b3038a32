using BenchmarkDotNet.Attributes;
using MicrogradPlus.Backends;

namespace MicrogradPlus.Benchmarks;

/// <summary>
/// The base of the benchmarks that run on every selected device: the Device parameter, the device it opens, and the
/// inputs derived classes allocate in [GlobalSetup] (after <see cref="OpenDevice"/>, through <see cref="Random"/>,
/// <see cref="Rent"/> and <see cref="Own{T}"/>), so nothing is allocated in the timed region; [GlobalCleanup] disposes
/// them and restores the device. Every benchmark call ends with <c>Dev.Synchronize()</c>: GPU launches are
/// asynchronous.
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

    private readonly List<IDisposable> _owned = [];

    /// <summary>Keeps <paramref name="resource"/> until [GlobalCleanup], which disposes it.</summary>
    protected T Own<T>(T resource) where T : IDisposable
    {
        _owned.Add(resource);
        return resource;
    }

    /// <summary>A buffer of <paramref name="length"/> uniform values in [−1, 1) on the device, owned.</summary>
    private protected DeviceBuffer<float> Random(long length, ulong seed) => Own(BenchDevice.Random(Dev, length, seed));

    /// <summary>An output buffer of <paramref name="length"/> elements on the device, owned.</summary>
    private protected DeviceBuffer<float> Rent(long length) => Own(Dev.Pool.Rent<float>(length));

    /// <summary>Disposes what the benchmark owns (last first) and restores the device.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        Dev.Synchronize();
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
        _owned.Clear();
        BenchDevice.Close(Dev);
    }
}
