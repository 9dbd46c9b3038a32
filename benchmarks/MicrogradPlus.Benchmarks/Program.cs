using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace MicrogradPlus.Benchmarks;

/// <summary>
/// dotnet run -c Release --project benchmarks/MicrogradPlus.Benchmarks -- [--quick] [--devices cpu,cuda]
/// [--results FILE.jsonl] [BenchmarkDotNet options, e.g. --filter '*MatMul*']
/// </summary>
internal static class Program
{
    private const string Usage = """
        MicrogradPlus benchmarks (BenchmarkDotNet, in-process, short job).

          --quick               a handful of small cases on the CPU device (CI smoke, about 10 s)
          --devices a,b         devices to run on: cpu, cpu-ilgpu (CPU accelerator with host loops off), opencl,
                                cuda; default: cpu and every GPU present (--quick: cpu)
          --results FILE        JSON-lines results for side_by_side.py (default:
                                <artifacts>/results/microgradplus-results.jsonl)
          anything else         passed to BenchmarkDotNet, e.g. --filter '*Elementwise*' --artifacts DIR
                                (without --filter every benchmark runs)

        Reports: BenchmarkDotNet.Artifacts/results/*-report-full.json and *-report-github.md (one per class).
        """;

    private static int Main(string[] args)
    {
        bool quick = false;
        string? devices = null, results = null;
        var rest = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--devices" when i + 1 < args.Length:
                    devices = args[++i];
                    break;
                case "--results" when i + 1 < args.Length:
                    results = args[++i];
                    break;
                case "-h" or "--help" or "-?":
                    Console.WriteLine(Usage);
                    return 0;
                default:
                    rest.Add(args[i]);
                    break;
            }
        }

        BenchSettings.Quick = quick;
        if (!SelectDevices(devices, quick))
        {
            return 2;
        }
        Console.WriteLine($"MicrogradPlus benchmarks ({(quick ? "quick" : "short")} job) on: " +
                          string.Join(", ", BenchSettings.Devices));
        foreach (string name in BenchSettings.Devices.Distinct())
        {
            var device = BenchDevice.Open(name);
            Console.WriteLine($"  {name}: {device.Describe()}");
            if (name == "cpu")
            {
                Console.WriteLine($"  cpu matmul: managed GEMM on {Backends.Gemm.HostGemm.VectorBits}-bit vectors; " +
                                  $"system BLAS {(device.UseSystemBlas ? "on" : "off")}: {device.SystemBlasStatus}");
            }
        }

        // The workloads with speed targets first (element-wise, matmul, MLP step, dispatch, sums): a run cut short (the
        // GPU machine's time limit) still has these.
        var types = new List<Type>
        {
            typeof(ElementwiseBenchmarks), typeof(MatMulBenchmarks), typeof(MlpBenchmarks), typeof(DispatchBenchmarks),
            typeof(ReductionBenchmarks), typeof(SoftmaxBenchmarks), typeof(BroadcastBenchmarks),
            typeof(LinearReluBenchmarks),
        };
        if (BenchSettings.Devices.Contains("cpu"))
        {
            types.Add(typeof(CpuAddBaseline));
        }
        if (BenchSettings.Devices.Contains("cuda"))
        {
            if (CuBlasBenchmarks.Probe(out string why))
            {
                types.Insert(2, typeof(CuBlasBenchmarks));
            }
            else
            {
                Console.WriteLine($"  cuBLAS: not available, its SGEMM reference is left out ({why})");
            }
        }

        if (!rest.Any(a => a is "--filter" or "-f"))
        {
            rest.AddRange(["--filter", "*"]);
        }
        var lines = new JsonLinesExporter(results);
        var summaries = BenchmarkSwitcher.FromTypes([.. types]).Run([.. rest], Config(quick, lines)).ToList();
        return Finish(summaries, lines);
    }

    private static bool SelectDevices(string? requested, bool quick)
    {
        if (requested is null)
        {
            BenchSettings.Devices = quick ? ["cpu"] : BenchSettings.DefaultDevices();
            return true;
        }
        var names = requested.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(n => n.ToLowerInvariant()).Distinct().ToList();
        foreach (string name in names)
        {
            var kind = name switch
            {
                "cpu" or "cpu-ilgpu" => DeviceKind.Cpu,
                "opencl" => DeviceKind.OpenCL,
                "cuda" => DeviceKind.Cuda,
                _ => (DeviceKind?)null,
            };
            if (kind is null)
            {
                Console.Error.WriteLine($"unknown device '{name}' in --devices: use " +
                                        string.Join(", ", BenchSettings.KnownDevices));
                return false;
            }
            if (!Device.IsAvailable(kind.Value))
            {
                Console.Error.WriteLine($"--devices asks for {name}, which is not available here: " +
                                        $"{Device.WhyUnavailable(kind.Value)} (available: " +
                                        string.Join(", ", Device.Available) + ")");
                return false;
            }
        }
        if (names.Count == 0)
        {
            Console.Error.WriteLine("--devices names no device");
            return false;
        }
        BenchSettings.Devices = names;
        return true;
    }

    private static ManualConfig Config(bool quick, JsonLinesExporter lines)
    {
        // In-process: the GPU machine has the .NET runtime but no SDK to build BenchmarkDotNet's usual child
        // projects, and one process pays ILGPU's kernel compiles and the device start-up once.
        var job = Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithId(quick ? "Quick" : "Short")
            .WithLaunchCount(1)
            .WithWarmupCount(quick ? 1 : 3)
            .WithIterationCount(quick ? 3 : 6)
            .WithIterationTime(TimeInterval.FromMilliseconds(quick ? 20 : 50))
            .WithUnrollFactor(1)
            .WithEvaluateOverhead(false);
        return ManualConfig.CreateMinimumViable()
            .AddJob(job)
            .AddExporter(JsonExporter.Full, MarkdownExporter.GitHub, lines)
            .AddColumn(ThroughputColumn.GigabytesPerSecond, ThroughputColumn.GigaflopsPerSecond)
            .AddFilter(new SimpleFilter(Keep))
            .WithOption(ConfigOptions.DisableLogFile, false);
    }

    // Leaves out cases that make no sense on a device: CPU-only methods on GPUs, GPU-only ones on the CPU devices,
    // sizes beyond a method's CPU cap.
    private static bool Keep(BenchmarkDotNet.Running.BenchmarkCase benchmarkCase)
    {
        var method = benchmarkCase.Descriptor.WorkloadMethod;
        var parameters = benchmarkCase.Parameters.Items.ToDictionary(p => p.Name, p => p.Value);
        string device = parameters.GetValueOrDefault("Device") as string ?? "cpu";
        bool onCpu = device is "cpu" or "cpu-ilgpu";
        if (!onCpu && method.GetCustomAttribute<CpuOnlyAttribute>() is not null)
        {
            return false;
        }
        if (onCpu && method.GetCustomAttribute<GpuOnlyAttribute>() is not null)
        {
            return false;
        }
        if (onCpu && method.GetCustomAttribute<CpuMaxSizeAttribute>() is { } cap)
        {
            int max = BenchSettings.Quick && cap.QuickMax >= 0 ? cap.QuickMax : cap.Max;
            foreach (string name in new[] { "Size", "N", "Rows" })
            {
                if (parameters.GetValueOrDefault(name) is int size && size > max)
                {
                    return false;
                }
            }
        }
        return true;
    }

    private static int Finish(List<Summary> summaries, JsonLinesExporter lines)
    {
        int cases = summaries.Sum(s => s.BenchmarksCases.Length);
        var failed = summaries.SelectMany(s => s.Reports).Where(r => !r.Success || r.ResultStatistics is null)
            .Select(r => r.BenchmarkCase.DisplayInfo).ToList();
        bool invalid = summaries.Any(s => s.HasCriticalValidationErrors);
        if (summaries.Count > 0)
        {
            Console.WriteLine($"results: {lines.Count} cases in {lines.Path}");
            Console.WriteLine($"reports: {summaries[0].ResultsDirectoryPath} (*-report-full.json, *-report-github.md)");
        }
        foreach (string name in failed)
        {
            Console.Error.WriteLine($"FAILED: {name}");
        }
        if (cases == 0 || failed.Count > 0 || invalid)
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"benchmarks failed: {cases} cases, {failed.Count} failed{(invalid ? ", validation errors" : "")}"));
            return 1;
        }
        Console.WriteLine($"benchmarks: {cases} cases, all measured");
        return 0;
    }
}
