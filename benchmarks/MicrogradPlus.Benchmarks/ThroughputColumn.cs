using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace MicrogradPlus.Benchmarks;

/// <summary>
/// GB/s or GFLOP/s of a benchmark from its mean time and the work in <see cref="Workloads"/>: bytes that must cross
/// memory once (for bandwidth-bound workloads), 2n³ for a matrix product, 6·batch·Σ in·out for an MLP step.
/// Cases without that kind of work show "-".
/// </summary>
public sealed class ThroughputColumn : IColumn
{
    private readonly bool _flops;

    private ThroughputColumn(bool flops) => _flops = flops;

    /// <summary>Bytes moved per second, in 10⁹.</summary>
    public static readonly ThroughputColumn GigabytesPerSecond = new(flops: false);

    /// <summary>Floating-point operations per second, in 10⁹.</summary>
    public static readonly ThroughputColumn GigaflopsPerSecond = new(flops: true);

    /// <inheritdoc/>
    public string Id => _flops ? "MicrogradPlus.GFLOPs" : "MicrogradPlus.GBps";

    /// <inheritdoc/>
    public string ColumnName => _flops ? "GFLOP/s" : "GB/s";

    /// <inheritdoc/>
    public bool AlwaysShow => false;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc/>
    public int PriorityInCategory => _flops ? 1 : 0;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => _flops
        ? "Floating-point operations per second (10^9): 2n^3 per matmul, 6*batch*sum(in*out) per MLP step"
        : "Bytes that must cross memory once per call, per second (10^9): inputs read + output written";

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        ArgumentNullException.ThrowIfNull(summary);
        double? rate = Rate(summary, benchmarkCase, _flops);
        return rate is { } r ? r.ToString(r >= 100 ? "0" : "0.00", CultureInfo.InvariantCulture) : "-";
    }

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc/>
    public bool IsAvailable(Summary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return summary.BenchmarksCases.Any(c => Work(c) is { } w && (_flops ? w.Flops : w.Bytes) > 0);
    }

    /// <summary>The workload of a case (from its type, method and parameters).</summary>
    public static WorkloadInfo? Work(BenchmarkCase benchmarkCase)
    {
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        var parameters = benchmarkCase.Parameters.Items.ToDictionary(p => p.Name,
            p => Convert.ToString(p.Value, CultureInfo.InvariantCulture) ?? "");
        return Workloads.Find(benchmarkCase.Descriptor.Type.Name, benchmarkCase.Descriptor.WorkloadMethod.Name,
            parameters);
    }

    /// <summary>GB/s (or GFLOP/s) of a measured case, null when it has no such work or no result.</summary>
    public static double? Rate(Summary summary, BenchmarkCase benchmarkCase, bool flops)
    {
        ArgumentNullException.ThrowIfNull(summary);
        double work = Work(benchmarkCase) is { } w ? (flops ? w.Flops : w.Bytes) : 0;
        double? meanNs = summary[benchmarkCase]?.ResultStatistics?.Mean;
        return work > 0 && meanNs is > 0 ? work / meanNs.Value : null;
    }
}
