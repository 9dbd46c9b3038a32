namespace MicrogradPlus.Benchmarks;

/// <summary>
/// Process-wide choices made from the command line before BenchmarkDotNet runs (the in-process toolchain keeps
/// them: every benchmark runs in this process), and the parameter lists the benchmark classes draw from.
/// </summary>
public static class BenchSettings
{
    /// <summary>The device names a benchmark can be parameterised by.</summary>
    public static readonly string[] KnownDevices = ["cpu", "cpu-ilgpu", "opencl", "cuda"];

    /// <summary>--quick: a handful of small cases on the CPU device, for CI smoke.</summary>
    public static bool Quick { get; set; }

    /// <summary>The devices to run on (--devices), already checked to be available.</summary>
    public static IReadOnlyList<string> Devices { get; set; } = ["cpu"];

    /// <summary>Largest size parameter element-wise, broadcast and reduction cases get on the CPU devices.</summary>
    public const int CpuMaxElements = 1 << 22;

    /// <summary>The default devices: the CPU and every GPU present.</summary>
    public static IReadOnlyList<string> DefaultDevices()
    {
        var names = new List<string> { "cpu" };
        if (Device.IsAvailable(DeviceKind.OpenCL))
        {
            names.Add("opencl");
        }
        if (Device.IsAvailable(DeviceKind.Cuda))
        {
            names.Add("cuda");
        }
        return names;
    }

    /// <summary>Elements of element-wise, broadcast and reduction cases: 4⁵ (1K) … 4¹³ (64M), all squares.</summary>
    public static IEnumerable<int> ElementwiseSizes() =>
        Quick ? [1 << 16] : Enumerable.Range(5, 9).Select(k => 1 << (2 * k));

    /// <summary>Sizes of the TensorPrimitives comparison (CPU only).</summary>
    public static IEnumerable<int> BaselineSizes() => Quick ? [1 << 20] : [1 << 12, 1 << 16, 1 << 20, 1 << 22];

    /// <summary>Square matrix sizes n = 64 … 4096.</summary>
    public static IEnumerable<int> MatMulSizes() => Quick ? [64] : Enumerable.Range(6, 7).Select(k => 1 << k);

    /// <summary>Rows of the [rows, 1000] softmax and cross-entropy cases.</summary>
    public static IEnumerable<int> SoftmaxRows() => Quick ? [64] : [64, 1024, 8192];

    /// <summary>The MLP shapes (see <see cref="Workloads.Models"/>).</summary>
    public static IEnumerable<string> MlpModels() => Quick ? ["2-16-16-1"] : Workloads.Models.Keys;

    /// <summary>The fused-layer benchmark's layers, width × batch (the small one only in --quick).</summary>
    public static IEnumerable<string> LinearReluLayers() => Quick ? ["16x100"] : ["16x100", "256x256"];
}
