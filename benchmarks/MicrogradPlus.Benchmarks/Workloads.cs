using System.Globalization;

namespace MicrogradPlus.Benchmarks;

/// <summary>
/// What one call of a benchmark does: its workload name (shared with <c>torch_twin.py</c>), the device line it
/// belongs to, its size, and the work it performs — bytes that must cross memory at least once (bandwidth-bound
/// workloads) or floating-point operations (compute-bound ones). GB/s = Bytes / mean time, GFLOP/s = Flops / mean
/// time; zero means "not a bandwidth (or compute) workload". All data is float32.
/// </summary>
public readonly record struct WorkloadInfo(string Name, string Device, long Size, double Bytes, double Flops);

/// <summary>
/// The one table that maps a BenchmarkDotNet benchmark (type name, method name, parameters) to its
/// <see cref="WorkloadInfo"/>. Linked into the benchmarks (the GB/s and GFLOP/s columns, the JSON-lines results) and
/// into the chart tool (which reads BenchmarkDotNet's JSON), so both count bytes and flops the same way.
/// </summary>
public static class Workloads
{
    /// <summary>Classes of the softmax and cross-entropy workloads: logits are [Rows, Classes].</summary>
    public const int Classes = 1000;

    /// <summary>Elements per tensor in the dispatch-overhead workloads.</summary>
    public const int TinySize = 16;

    /// <summary>Operations per call in the dispatch-overhead workloads (OperationsPerInvoke).</summary>
    public const int DispatchOps = 100;

    /// <summary>The two MLPs of the issue: layer widths and batch size.</summary>
    public static readonly IReadOnlyDictionary<string, (int[] Widths, int Batch)> Models =
        new Dictionary<string, (int[], int)>
        {
            ["2-16-16-1"] = ([2, 16, 16, 1], 100),
            ["784-256-256-10"] = ([784, 256, 256, 10], 256),
        };

    /// <summary>
    /// The workload of a benchmark, or null for a benchmark this table does not know. <paramref name="parameters"/>
    /// holds BenchmarkDotNet's parameter names and values (Device, Size, N, Rows, Model, Optimizer).
    /// </summary>
    public static WorkloadInfo? Find(string type, string method, IReadOnlyDictionary<string, string> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        string device = parameters.GetValueOrDefault("Device", "cpu");
        long size = Long(parameters, "Size");
        long side = (long)Math.Round(Math.Sqrt(size));
        long n = Long(parameters, "N");
        long rows = Long(parameters, "Rows");
        return (type, method) switch
        {
            ("ElementwiseBenchmarks", "Add") => new("add", device, size, 12.0 * size, 0),
            ("ElementwiseBenchmarks", "Mul") => new("mul", device, size, 12.0 * size, 0),
            ("ElementwiseBenchmarks", "Exp") => new("exp", device, size, 8.0 * size, 0),
            // [n, n] + [1, n] and [n, n] + [n, 1]: both matrices cross memory once, the vector once.
            ("BroadcastBenchmarks", "AddRow") => new("add_row", device, size, 4.0 * (2 * size + side), 0),
            ("BroadcastBenchmarks", "AddColumn") => new("add_col", device, size, 4.0 * (2 * size + side), 0),
            ("ReductionBenchmarks", "SumAll") => new("sum_all", device, size, 4.0 * (size + 1), 0),
            ("ReductionBenchmarks", "SumRows") => new("sum_rows", device, size, 4.0 * (size + side), 0),
            ("ReductionBenchmarks", "SumColumns") => new("sum_cols", device, size, 4.0 * (size + side), 0),
            ("MatMulBenchmarks", "Naive") => new("matmul_naive", device, n, 0, 2.0 * n * n * n),
            ("MatMulBenchmarks", "Tiled") => new("matmul_tiled", device, n, 0, 2.0 * n * n * n),
            ("MatMulBenchmarks", "Blocked") => new("matmul_blocked", device, n, 0, 2.0 * n * n * n),
            ("MatMulBenchmarks", "Auto") => new("matmul_auto", device, n, 0, 2.0 * n * n * n),
            ("CuBlasBenchmarks", "Sgemm") => new("matmul_cublas", device, n, 0, 2.0 * n * n * n),
            ("SoftmaxBenchmarks", "Softmax") => new("softmax", device, rows, 8.0 * rows * Classes, 0),
            ("SoftmaxBenchmarks", "CrossEntropy") => new("cross_entropy", device, rows, 0, 0),
            ("MlpBenchmarks", "TrainStep") => Mlp(parameters, device, ""),
            ("LinearReluBenchmarks", "Fused") => LinearRelu(parameters, device, "fused"),
            ("LinearReluBenchmarks", "Unfused") => LinearRelu(parameters, device, "unfused"),
            ("MlpBenchmarks", "ReplayStep") => Mlp(parameters, device, "_captured"),
            ("DispatchBenchmarks", "TensorAdd") => new("dispatch_tensor_add", device, TinySize, 0, 0),
            ("DispatchBenchmarks", "TensorAddRecorded") => new("dispatch_tensor_add_recorded", device, TinySize, 0, 0),
            ("DispatchBenchmarks", "TensorNoLaunch") => new("dispatch_tensor_no_launch", device, TinySize, 0, 0),
            ("DispatchBenchmarks", "PrimitiveAdd") => new("dispatch_primitive_add", device, TinySize, 0, 0),
            ("CpuAddBaseline", "TensorPrimitives") => new("add_baseline", "tensorprimitives", size, 12.0 * size, 0),
            ("CpuAddBaseline", "HostLoop") => new("add_baseline", "cpu", size, 12.0 * size, 0),
            ("CpuAddBaseline", "IlgpuKernel") => new("add_baseline", "cpu-ilgpu", size, 12.0 * size, 0),
            _ => null,
        };
    }

    /// <summary>
    /// Parses BenchmarkDotNet's parameter string from its JSON report ("Device=cpu&amp;Size=1024") into a dictionary.
    /// </summary>
    public static Dictionary<string, string> ParseParameters(string? text)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in (text ?? "").Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                result[pair[..eq]] = pair[(eq + 1)..];
            }
        }
        return result;
    }

    // One step: forward 2·B·in·out per layer, backward twice that (gradients of input and weight): 6·B·Σ in·out.
    private static WorkloadInfo Mlp(IReadOnlyDictionary<string, string> parameters, string device, string suffix)
    {
        string model = parameters.GetValueOrDefault("Model", "");
        string optimizer = parameters.GetValueOrDefault("Optimizer", "").ToLowerInvariant();
        if (!Models.TryGetValue(model, out var spec))
        {
            return new($"mlp_{model}_{optimizer}{suffix}", device, 0, 0, 0);
        }
        double macs = 0;
        for (int i = 0; i + 1 < spec.Widths.Length; i++)
        {
            macs += (double)spec.Widths[i] * spec.Widths[i + 1];
        }
        return new($"mlp_{model}_{optimizer}{suffix}", device, spec.Batch, 0, 6.0 * spec.Batch * macs);
    }

    // "16x100": a width × width layer at that batch; forward 2·B·w², backward twice that.
    private static WorkloadInfo LinearRelu(IReadOnlyDictionary<string, string> parameters, string device, string form)
    {
        string[] layer = parameters.GetValueOrDefault("Layer", "0x0").Split('x');
        long width = long.Parse(layer[0], CultureInfo.InvariantCulture);
        long batch = long.Parse(layer[1], CultureInfo.InvariantCulture);
        return new($"linear_relu_{width}_{form}", device, batch, 0, 6.0 * batch * width * width);
    }

    private static long Long(IReadOnlyDictionary<string, string> parameters, string name) =>
        parameters.TryGetValue(name, out string? text) &&
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value)
            ? value
            : 0;
}
