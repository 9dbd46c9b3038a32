using System.Globalization;
using System.Text.Json;
using MicrogradPlus.Benchmarks;
using ScottPlot;

namespace MicrogradPlus.Charts;

/// <summary>
/// Turns BenchmarkDotNet's JSON reports (*-report-full.json) into PNG charts: GB/s against size (log x) for each
/// bandwidth-bound workload, one line per device, and GFLOP/s against n for the matrix products, one line per
/// kernel and device. GB/s and GFLOP/s come from the mean time and the work in <see cref="Workloads"/>, the same
/// table the benchmarks' columns use. Optional torch_twin.py JSON lines add PyTorch's lines.
/// <code>
/// dotnet run -c Release --project benchmarks/MicrogradPlus.Charts -- [--out DIR] [--torch FILE.jsonl] REPORT|DIR...
/// </code>
/// </summary>
internal static class Program
{
    private sealed record Point(string Name, string Line, long Size, double Rate);

    private static int Main(string[] args)
    {
        string outDir = "BenchmarkDotNet.Artifacts/charts";
        var reports = new List<string>();
        var torchFiles = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--out" when i + 1 < args.Length:
                    outDir = args[++i];
                    break;
                case "--torch" when i + 1 < args.Length:
                    torchFiles.Add(args[++i]);
                    break;
                case "-h" or "--help":
                    Console.WriteLine(
                        "usage: MicrogradPlus.Charts [--out DIR] [--torch FILE.jsonl] REPORT.json|DIR...");
                    Console.WriteLine("  default input: BenchmarkDotNet.Artifacts/results; default output: " +
                                      "BenchmarkDotNet.Artifacts/charts");
                    return 0;
                default:
                    reports.Add(args[i]);
                    break;
            }
        }
        if (reports.Count == 0)
        {
            reports.Add("BenchmarkDotNet.Artifacts/results");
        }
        var files = reports.SelectMany(Expand).Distinct().ToList();
        if (files.Count == 0)
        {
            Console.Error.WriteLine($"no *-report-full.json found in {string.Join(", ", reports)}");
            return 1;
        }

        var ours = files.SelectMany(ReadReport).ToList();
        var bandwidth = ours.Where(p => p.Work.Bytes > 0)
            .Select(p => new Point(p.Work.Name, p.Work.Device, p.Work.Size, p.Work.Bytes / p.MeanNs)).ToList();
        var compute = ours.Where(p => p.Work.Flops > 0 && p.Work.Name.StartsWith("matmul", StringComparison.Ordinal))
            .Select(p => new Point("matmul", $"{p.Work.Name["matmul_".Length..]} ({p.Work.Device})", p.Work.Size,
                p.Work.Flops / p.MeanNs)).ToList();
        foreach (string file in torchFiles)
        {
            AddTorch(file, ours.Select(p => p.Work).ToList(), bandwidth, compute);
        }

        Directory.CreateDirectory(outDir);
        var written = new List<string>();
        foreach (var group in bandwidth.GroupBy(p => p.Name).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            string path = Path.Combine(outDir, $"bandwidth-{group.Key}.png");
            // Softmax's size is its rows of [rows, Classes] logits; the other workloads count elements.
            string xLabel = group.Key == "softmax" ? $"rows of [rows, {Workloads.Classes}]" : "size (elements)";
            Chart(group.ToList(), $"{group.Key}: bandwidth (float32)", xLabel, "GB/s (log scale)", path);
            written.Add(path);
        }
        if (compute.Count > 0)
        {
            string path = Path.Combine(outDir, "matmul-gflops.png");
            Chart(compute, "matmul n×n×n: GFLOP/s (float32)", "n", "GFLOP/s (log scale)", path);
            written.Add(path);
        }
        Console.WriteLine($"{ours.Count} measurements from {files.Count} report(s); {written.Count} charts:");
        foreach (string path in written)
        {
            Console.WriteLine($"  {path}");
        }
        return written.Count > 0 ? 0 : 1;
    }

    private static IEnumerable<string> Expand(string path) =>
        Directory.Exists(path)
            ? Directory.EnumerateFiles(path, "*-report-full.json", SearchOption.AllDirectories).Order()
            : File.Exists(path) ? [path] : [];

    private static IEnumerable<(WorkloadInfo Work, double MeanNs)> ReadReport(string file)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(file));
        foreach (var benchmark in document.RootElement.GetProperty("Benchmarks").EnumerateArray())
        {
            if (!benchmark.TryGetProperty("Statistics", out var stats) || stats.ValueKind != JsonValueKind.Object)
            {
                continue;   // a case that failed has no statistics
            }
            var work = Workloads.Find(benchmark.GetProperty("Type").GetString() ?? "",
                benchmark.GetProperty("Method").GetString() ?? "",
                Workloads.ParseParameters(benchmark.GetProperty("Parameters").GetString()));
            double mean = stats.GetProperty("Mean").GetDouble();
            if (work is { } w && mean > 0)
            {
                yield return (w, mean);
            }
        }
    }

    // torch_twin.py lines: {"name", "device", "size", "mean_us"}; the work per call comes from our workload of the
    // same name and size (torch's "matmul" is matched to any of ours).
    private static void AddTorch(string file, List<WorkloadInfo> ours, List<Point> bandwidth, List<Point> compute)
    {
        foreach (string line in File.ReadLines(file).Where(l => l.TrimStart().StartsWith('{')))
        {
            using var row = JsonDocument.Parse(line);
            var r = row.RootElement;
            string name = r.GetProperty("name").GetString() ?? "";
            string device = r.GetProperty("device").GetString() ?? "";
            long size = r.GetProperty("size").GetInt64();
            double meanNs = r.GetProperty("mean_us").GetDouble() * 1e3;
            if (meanNs <= 0)
            {
                continue;
            }
            if (name == "matmul")
            {
                double flops = 2.0 * size * size * size;
                compute.Add(new Point("matmul", $"torch ({device})", size, flops / meanNs));
                continue;
            }
            var work = ours.FirstOrDefault(w => w.Name == name && w.Size == size && w.Bytes > 0);
            if (work.Bytes > 0)
            {
                bandwidth.Add(new Point(name, $"torch {device}", size, work.Bytes / meanNs));
            }
        }
    }

    // Log-log: sizes are powers of two and rates span orders of magnitude between devices. ScottPlot plots the
    // logarithms, with ticks labelled in real units.
    private static void Chart(List<Point> points, string title, string xLabel, string yLabel, string path)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int colour = 0;
        foreach (var line in points.GroupBy(p => p.Line).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var sorted = line.OrderBy(p => p.Size).ToList();
            double[] xs = sorted.Select(p => Math.Log2(p.Size)).ToArray();
            double[] ys = sorted.Select(p => Math.Log10(p.Rate)).ToArray();
            var scatter = plot.Add.Scatter(xs, ys);
            scatter.LegendText = line.Key;
            scatter.LineWidth = 2;
            scatter.MarkerSize = 7;
            scatter.Color = palette.GetColor(colour++);
            if (line.Key.StartsWith("torch", StringComparison.Ordinal))
            {
                scatter.LinePattern = LinePattern.Dashed;
            }
        }
        var xTicks = new ScottPlot.TickGenerators.NumericManual();
        foreach (long size in points.Select(p => p.Size).Distinct().Order())
        {
            xTicks.AddMajor(Math.Log2(size), SizeLabel(size));
        }
        plot.Axes.Bottom.TickGenerator = xTicks;
        var yTicks = new ScottPlot.TickGenerators.NumericManual();
        int low = (int)Math.Floor(points.Min(p => Math.Log10(p.Rate)));
        int high = (int)Math.Ceiling(points.Max(p => Math.Log10(p.Rate)));
        // 1, 2, 5 per decade; every digit when the rates span a decade or less, so a narrow chart still has labels.
        double[] mantissas = high - low <= 1 ? [1, 2, 3, 4, 5, 6, 7, 8, 9] : [1, 2, 5];
        for (int k = low; k <= high; k++)
        {
            foreach (double m in mantissas)
            {
                double value = m * Math.Pow(10, k);
                yTicks.AddMajor(Math.Log10(value), value.ToString("G4", CultureInfo.InvariantCulture));
            }
        }
        plot.Axes.Left.TickGenerator = yTicks;
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend(Edge.Right);
        plot.SavePng(path, 1000, 560);
    }

    private static string SizeLabel(long size) => size switch
    {
        >= 1 << 20 when size % (1 << 20) == 0 => $"{size >> 20}M",
        >= 1 << 10 when size % (1 << 10) == 0 => $"{size >> 10}K",
        _ => size.ToString(CultureInfo.InvariantCulture),
    };
}
