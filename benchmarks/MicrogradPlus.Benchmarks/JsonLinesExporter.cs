using System.Text.Json;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;

namespace MicrogradPlus.Benchmarks;

/// <summary>
/// Exports every measured case as one JSON object per line — the format of <c>torch_twin.py</c>, so
/// <c>side_by_side.py</c> can merge the two: name, device, size, mean_us, stddev_us, bytes, flops, gbps, gflops, and
/// the BenchmarkDotNet type and method it came from. BenchmarkDotNet exports after each benchmark class, and this
/// exporter appends, so the file holds every class finished so far even if the run is cut short. The file starts
/// empty with the first class of the process.
/// </summary>
public sealed class JsonLinesExporter(string? path) : IExporter
{
    /// <summary>The file name used in the results folder when no path is given.</summary>
    public const string DefaultFileName = "microgradplus-results.jsonl";

    private bool _started;

    /// <summary>The file written to (known after the first export).</summary>
    public string? Path { get; private set; } = path;

    /// <summary>Cases written so far.</summary>
    public int Count { get; private set; }

    /// <inheritdoc/>
    public string Name => "microgradplus-jsonl";

    /// <inheritdoc/>
    public void ExportToLog(Summary summary, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        foreach (string line in Lines(summary))
        {
            logger.WriteLine(line);
        }
    }

    /// <inheritdoc/>
    public IEnumerable<string> ExportToFiles(Summary summary, ILogger consoleLogger)
    {
        ArgumentNullException.ThrowIfNull(summary);
        Path ??= System.IO.Path.Combine(summary.ResultsDirectoryPath, DefaultFileName);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
        var lines = Lines(summary).ToList();
        if (_started)
        {
            File.AppendAllLines(Path, lines);
        }
        else
        {
            File.WriteAllLines(Path, lines);
            _started = true;
        }
        Count += lines.Count;
        return [Path];
    }

    private static IEnumerable<string> Lines(Summary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        foreach (var report in summary.Reports)
        {
            var stats = report.ResultStatistics;
            if (stats is null || ThroughputColumn.Work(report.BenchmarkCase) is not { } work)
            {
                continue;
            }
            double meanNs = stats.Mean;
            var line = new Dictionary<string, object?>
            {
                ["name"] = work.Name,
                ["device"] = work.Device,
                ["size"] = work.Size,
                ["mean_us"] = Math.Round(meanNs / 1e3, 4),
                ["stddev_us"] = Math.Round(stats.StandardDeviation / 1e3, 4),
                ["bytes"] = work.Bytes,
                ["flops"] = work.Flops,
                ["gbps"] = work.Bytes > 0 ? Math.Round(work.Bytes / meanNs, 3) : null,
                ["gflops"] = work.Flops > 0 ? Math.Round(work.Flops / meanNs, 3) : null,
                ["source"] = "microgradplus",
                ["benchmark"] = report.BenchmarkCase.Descriptor.Type.Name + "." +
                                report.BenchmarkCase.Descriptor.WorkloadMethod.Name,
            };
            yield return JsonSerializer.Serialize(line);
        }
    }
}
