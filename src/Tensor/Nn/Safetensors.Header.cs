using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;
using MicrogradPlus.Backends;

namespace MicrogradPlus.Nn;

// The header: its length prefix and JSON, each entry's dtype, shape and offsets, and the data layout they describe,
// all validated before anything is allocated.
public static partial class Safetensors
{
    private static readonly string[] KnownUnsupported =
    [
        "BOOL", "U8", "I8", "I16", "U16", "I32", "U32", "I64", "U64", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F4",
        "F6_E2M3", "F6_E3M2", "C64",
    ];

    /// <summary>Parses the 8-byte length and the JSON header; checks the layout against the stream's length.</summary>
    private static Header ReadHeader(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead || !stream.CanSeek)
        {
            throw new ArgumentException(
                "safetensors needs a readable, seekable stream (to check lengths before allocating); " +
                "copy the data into a MemoryStream first", nameof(stream));
        }
        long length = stream.Length - stream.Position;
        if (length < 8)
        {
            throw Invalid($"the file is {length} bytes long, too short for the 8-byte header length");
        }
        Span<byte> prefix = stackalloc byte[8];
        ReadExactly(stream, prefix);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (n > MaxHeaderBytes)
        {
            throw Invalid($"the header length {n} is over the {MaxHeaderBytes}-byte limit (not a safetensors file?)");
        }
        if ((long)n > length - 8)
        {
            throw Invalid($"the header length {n} runs past the end of the file ({length} bytes)");
        }
        var json = new byte[n];
        ReadExactly(stream, json);
        if (!Utf8.IsValid(json))
        {
            throw Invalid("the header is not valid UTF-8");
        }
        long dataLength = length - 8 - (long)n;
        return ParseHeader(json, dataLength);
    }

    private static Header ParseHeader(byte[] json, long dataLength)
    {
        try
        {
            return ParseHeaderJson(json, dataLength);
        }
        catch (InvalidOperationException e)
        {
            // System.Text.Json reads an escaped lone surrogate ("\ud800") as a string only when asked for it, and
            // then throws InvalidOperationException: it is malformed data all the same.
            throw Invalid($"the header holds a string that is not valid text (a lone surrogate escape?): {e.Message}");
        }
    }

    private static Header ParseHeaderJson(byte[] json, long dataLength)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw Invalid($"the header is not valid JSON: {e.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Invalid($"the header is a JSON {Kind(root)}, not an object");
            }
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var entries = new List<Entry>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                string name = property.Name; // each read of Name makes a new string: a 1 MB name costs 2 MB a read
                if (!seen.Add(name))
                {
                    throw Invalid($"the header names '{Abbreviate(name)}' twice");
                }
                if (name == MetadataKey)
                {
                    ReadMetadata(property.Value, metadata);
                }
                else
                {
                    entries.Add(ReadEntry(name, property.Value, dataLength));
                }
            }
            CheckLayout(entries, dataLength);
            return new Header(entries, metadata);
        }
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return;
        }
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Invalid($"'{MetadataKey}' is a JSON {Kind(value)}, not an object of strings");
        }
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
            {
                throw Invalid($"'{MetadataKey}' entry '{item.Name}' is a JSON {Kind(item.Value)}, not a string");
            }
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
            {
                throw Invalid($"'{MetadataKey}' names '{item.Name}' twice");
            }
        }
    }

    private static Entry ReadEntry(string name, JsonElement value, long dataLength)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Invalid($"tensor '{name}': its entry is a JSON {Kind(value)}, not an object");
        }
        var dtype = Field(name, value, "dtype", JsonValueKind.String);
        string dtypeName = dtype.GetString()!;
        int elementBytes = dtypeName switch
        {
            "F32" => 4,
            "F64" => 8,
            "F16" or "BF16" => 2,
            _ when KnownUnsupported.Contains(dtypeName) => throw Invalid(
                $"tensor '{name}' has dtype {dtypeName}, which MicrogradPlus does not load (F32, F64, F16, BF16 only)"),
            _ => throw Invalid($"tensor '{name}' has unknown dtype '{dtypeName}'"),
        };

        var shapeJson = Field(name, value, "shape", JsonValueKind.Array);
        var shape = new int[shapeJson.GetArrayLength()];
        long elements = 1;
        int d = 0;
        foreach (var dim in shapeJson.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long size) || size < 0)
            {
                throw Invalid($"tensor '{name}': shape {shapeJson.GetRawText()} has dimension {d} = " +
                    $"{dim.GetRawText()}, not a non-negative integer");
            }
            if (size > int.MaxValue)
            {
                throw Invalid($"tensor '{name}': dimension {d} of shape {shapeJson.GetRawText()} is over 2^31 - 1");
            }
            shape[d++] = (int)size;
            // Saturates instead of overflowing; a later zero still makes the count 0.
            const long cap = long.MaxValue / 16;
            elements = size == 0 || elements <= cap / size ? elements * size : cap;
        }
        if (elements > int.MaxValue)
        {
            throw Invalid($"tensor '{name}': shape {Shapes.Format(shape)} has more elements than a tensor holds");
        }

        var offsets = Field(name, value, "data_offsets", JsonValueKind.Array);
        long begin = -1, end = -1;
        if (offsets.GetArrayLength() != 2 ||
            offsets[0].ValueKind != JsonValueKind.Number || !offsets[0].TryGetInt64(out begin) ||
            offsets[1].ValueKind != JsonValueKind.Number || !offsets[1].TryGetInt64(out end) || begin < 0 || end < 0)
        {
            throw Invalid($"tensor '{name}': data_offsets {offsets.GetRawText()} is not two non-negative integers");
        }
        if (begin > end)
        {
            throw Invalid($"tensor '{name}': data_offsets [{begin}, {end}] begin after they end");
        }
        if (end > dataLength)
        {
            throw Invalid($"tensor '{name}': data_offsets [{begin}, {end}] run past the data section " +
                $"({dataLength} bytes)");
        }
        if (elements * elementBytes != end - begin)
        {
            throw Invalid($"tensor '{name}': shape {Shapes.Format(shape)} of {dtypeName} needs " +
                $"{elements * elementBytes} bytes, but data_offsets [{begin}, {end}] hold {end - begin}");
        }
        return new Entry(name, dtypeName, shape, begin, end);
    }

    /// <summary>Tensors must tile the data section exactly: no overlap, no hole, nothing after the last one.</summary>
    private static void CheckLayout(List<Entry> entries, long dataLength)
    {
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        Entry? previous = null;
        foreach (var entry in entries)
        {
            if (entry.Begin < expected)
            {
                throw Invalid($"tensor '{entry.Name}' (bytes [{entry.Begin}, {entry.End}]) overlaps tensor " +
                    $"'{previous!.Name}' (bytes [{previous.Begin}, {previous.End}])");
            }
            if (entry.Begin > expected)
            {
                throw Invalid($"bytes [{expected}, {entry.Begin}) of the data section before tensor '{entry.Name}' " +
                    "belong to no tensor (the tensors must cover the data section without holes)");
            }
            expected = entry.End;
            previous = entry;
        }
        if (expected != dataLength)
        {
            throw Invalid($"the data section is {dataLength} bytes but the tensors cover {expected}: " +
                $"{dataLength - expected} trailing bytes belong to no tensor");
        }
    }

    private static JsonElement Field(string name, JsonElement entry, string key, JsonValueKind kind)
    {
        if (!entry.TryGetProperty(key, out var value))
        {
            throw Invalid($"tensor '{name}': its entry has no \"{key}\"");
        }
        if (value.ValueKind != kind)
        {
            string expected = kind == JsonValueKind.Array ? "an array" : "a string";
            throw Invalid($"tensor '{name}': \"{key}\" is a JSON {Kind(value)}, not {expected}");
        }
        return value;
    }

    /// <summary>A name short enough for a message (a hostile file may hold megabyte-long names).</summary>
    private static string Abbreviate(string name) => name.Length <= 200 ? name : name[..200] + "…";

    private static string Kind(JsonElement value) => value.ValueKind.ToString().ToLowerInvariant();

    private sealed record Entry(string Name, string DType, int[] Shape, long Begin, long End);

    private sealed record Header(List<Entry> Entries, Dictionary<string, string> Metadata);
}
