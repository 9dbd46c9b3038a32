using System.Globalization;
using System.IO.Compression;

namespace MicrogradPlus.Data;

/// <summary>
/// The UCI handwritten digits (scikit-learn's <c>load_digits</c>): 1797 images of 8×8 integer pixels 0–16 as 64
/// features, row by row, with labels 0–9. The file (<c>data/digits.csv.gz</c> in the repository; CC BY 4.0, see
/// data/README.md) is embedded in the MicrogradPlus assembly, so <see cref="Load"/> needs no file.
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
    /// Loads the digits: from the copy embedded in the MicrogradPlus assembly when <paramref name="path"/> is null (so
    /// it works wherever the library is installed), else from the gzip-compressed CSV file at <paramref name="path"/>.
    /// Pixels stay 0–16 (see <see cref="Dataset.Scale"/>).
    /// </summary>
    /// <param name="path">A <c>digits.csv.gz</c> file to read instead of the embedded copy, or null.</param>
    /// <returns>The 1797 samples, 64 features each, labels 0–9, in the file's order.</returns>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">A malformed line, named with its number.</exception>
    public static Dataset Load(string? path = null)
    {
        if (path is null)
        {
            using var resource = typeof(Digits).Assembly.GetManifestResourceStream(ResourceName)
                ?? throw new InvalidOperationException($"the MicrogradPlus assembly lacks its resource {ResourceName}");
            return Read(resource, $"{FileName} (embedded)");
        }
        string full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"{FileName} not found at {full}; Digits.Load() without a path reads the " +
                "copy embedded in the library", full);
        }
        using var file = File.OpenRead(full);
        return Read(file, full);
    }

    private const string ResourceName = "MicrogradPlus.Data." + FileName;

    private static Dataset Read(Stream compressed, string source)
    {
        using var gzip = new GZipStream(compressed, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        return Parse(reader, source);
    }

    /// <summary>
    /// Parses the CSV text (gzip already undone): one sample per line, 64 pixels then the label, comma-separated.
    /// <paramref name="source"/> names the input in error messages.
    /// </summary>
    /// <param name="reader">The CSV text.</param>
    /// <param name="source">The name of the input in error messages (default the file name).</param>
    /// <returns>The parsed samples: 64 features (pixel intensities 0–16) and 10 classes.</returns>
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
}
