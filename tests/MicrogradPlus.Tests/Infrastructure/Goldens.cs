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
}
