using System.Text;
using System.Text.Json;

namespace MicrogradPlus.Tests.Infrastructure;

/// <summary>
/// The PyTorch golden files of tests/goldens. The build copies them next to the test binary (so a packed test
/// project finds them on a machine without the repository); a checkout without that copy falls back to walking up
/// to the folder holding MicrogradPlus.sln.
/// </summary>
internal static class Goldens
{
    /// <summary>Parses tests/goldens/<paramref name="fileName"/>.</summary>
    public static JsonDocument Load(string fileName)
    {
        string beside = Path.Combine(AppContext.BaseDirectory, "goldens", fileName);
        if (File.Exists(beside))
        {
            return JsonDocument.Parse(File.ReadAllText(beside));
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MicrogradPlus.sln")))
            {
                return JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.FullName, "tests", "goldens", fileName)));
            }
        }
        throw new FileNotFoundException(
            $"tests/goldens/{fileName}: neither {beside} nor a MicrogradPlus.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>
    /// Runs every case of <paramref name="root"/>'s <c>cases</c> array with <paramref name="runCase"/>, which lists a
    /// case's mismatches; a case with mismatches or an exception becomes one line of the returned failures, so one
    /// run reports every failing case rather than the first.
    /// </summary>
    public static (int Run, List<string> Failures) RunCases(JsonElement root, Func<JsonElement, StringBuilder> runCase)
    {
        var failures = new List<string>();
        int run = 0;
        foreach (var golden in root.GetProperty("cases").EnumerateArray())
        {
            run++;
            string name = golden.GetProperty("name").GetString()!;
            try
            {
                var problems = runCase(golden);
                if (problems.Length > 0)
                {
                    failures.Add($"{name}: {problems.ToString().TrimEnd(';', ' ')}");
                }
            }
#pragma warning disable CA1031 // every failing case is collected and reported together
            catch (Exception e)
#pragma warning restore CA1031
            {
                failures.Add($"{name}: {e.GetType().Name}: {e.GetBaseException().Message}");
            }
        }
        return (run, failures);
    }
}
