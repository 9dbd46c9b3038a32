using System.Globalization;
using System.IO.Compression;

namespace MicrogradPlus.Data;

/// <summary>
/// The UCI handwritten digits (scikit-learn's <c>load_digits</c>): 1797 images of 8×8 integer pixels 0–16 as 64
/// features, row by row, with labels 0–9. The repository ships the file as <c>data/digits.csv.gz</c> (CC BY 4.0,
/// see data/README.md); an application that runs outside the repository copies it next to its binaries.
/// </summary>
public static class Digits
{
    /// <summary>The file's name.</summary>
    public const string FileName = "digits.csv.gz";

    /// <summary>Pixels per image.</summary>
    public const int Features = 64;

    /// <summary>Digit classes.</summary>
    public const int Classes = 10;

    /// <summary>The largest pixel value (divide by it to scale features to [0, 1]).</summary>
    public const float MaxPixel = 16f;

    /// <summary>
    /// Loads the digits from <paramref name="path"/>, or when null from the first of: the application's folder
    /// (<see cref="AppContext.BaseDirectory"/>) and its <c>data/</c> subfolder, then <c>data/</c> in the folder holding
    /// MicrogradPlus.sln found by walking up from the application's folder or from the current directory.
    /// Throws <see cref="FileNotFoundException"/> listing every place it looked, and <see cref="InvalidDataException"/>
    /// naming the line when the file is malformed. Pixels stay 0–16 (see <see cref="Dataset.Scale"/>).
    /// </summary>
    public static Dataset Load(string? path = null)
    {
        var candidates = path is null ? Candidates() : [Path.GetFullPath(path)];
        string? found = candidates.FirstOrDefault(File.Exists);
        if (found is null)
        {
            throw new FileNotFoundException(
                $"{FileName} not found; looked in: {string.Join(", ", candidates)}. The repository has it in data/; " +
                "copy it next to the application or pass its path to Digits.Load", path ?? FileName);
        }
        using var file = File.OpenRead(found);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        return Parse(reader, found);
    }

    /// <summary>
    /// Parses the CSV text (gzip already undone): one sample per line, 64 pixels then the label, comma-separated.
    /// <paramref name="source"/> names the input in error messages.
    /// </summary>
    public static Dataset Parse(TextReader reader, string source = FileName)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var data = new List<float>(1797 * Features);
        var labels = new List<int>(1797);
        int lineNumber = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }
            var fields = line.Split(',');
            if (fields.Length != Features + 1)
            {
                throw new InvalidDataException(
                    $"{source} line {lineNumber}: {fields.Length} fields, expected {Features} pixels and a label");
            }
            for (int i = 0; i <= Features; i++)
            {
                int max = i < Features ? 16 : Classes - 1;
                if (!double.TryParse(fields[i], NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ||
                    value != Math.Floor(value) || value < 0 || value > max)
                {
                    string what = i < Features ? $"pixel {i}" : "the label";
                    throw new InvalidDataException(
                        $"{source} line {lineNumber}: {what} is '{fields[i]}', not an integer in [0, {max}]");
                }
                if (i < Features)
                {
                    data.Add((float)value);
                }
                else
                {
                    labels.Add((int)value);
                }
            }
        }
        if (labels.Count == 0)
        {
            throw new InvalidDataException($"{source} holds no samples");
        }
        return new Dataset("digits", [.. data], [.. labels], Features, Classes);
    }

    private static List<string> Candidates()
    {
        string appFolder = AppContext.BaseDirectory;
        var candidates = new List<string>
        {
            Path.Combine(appFolder, FileName),
            Path.Combine(appFolder, "data", FileName),
        };
        foreach (string start in new[] { appFolder, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "MicrogradPlus.sln")))
                {
                    string candidate = Path.Combine(dir.FullName, "data", FileName);
                    if (!candidates.Contains(candidate))
                    {
                        candidates.Add(candidate);
                    }
                    break;
                }
            }
        }
        if (candidates.Count == 2)
        {
            candidates.Add(
                $"(no folder holding MicrogradPlus.sln above {appFolder} or {Environment.CurrentDirectory})");
        }
        return candidates;
    }
}
