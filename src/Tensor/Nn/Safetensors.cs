using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using MicrogradPlus.Backends;

namespace MicrogradPlus.Nn;

/// <summary>
/// Reads and writes the safetensors format (Hugging Face's, as PyTorch users save state dicts with
/// <c>safetensors.torch.save_file</c>): an 8-byte little-endian header length N, N bytes of UTF-8 JSON describing
/// each tensor, then the raw little-endian data of all tensors back to back.
/// </summary>
/// <remarks>
/// The header maps each name to <c>{"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}</c> (offsets
/// relative to the start of the data section) and may hold <c>"__metadata__"</c>, a map of strings to strings.
/// Files are written exactly as the reference implementation writes them: tensors ordered by descending dtype
/// alignment (F64 before F32) and then by name, compact JSON with <c>__metadata__</c> first (its keys sorted), the
/// header padded with spaces to a multiple of 8 bytes so the data is aligned. Loading validates everything before it
/// allocates: a malformed file raises <see cref="InvalidDataException"/> naming what is wrong. F32 and F64 load as
/// float32 and float64 tensors; F16 and BF16 (common in PyTorch checkpoints) are widened to float32.
/// </remarks>
public static class Safetensors
{
    /// <summary>The largest header accepted (the reference implementation's limit): 100 MB.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>The key of the free-form string map in the header.</summary>
    public const string MetadataKey = "__metadata__";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false,
        throwOnInvalidBytes: true);

    private static readonly string[] KnownUnsupported =
    [
        "BOOL", "U8", "I8", "I16", "U16", "I32", "U32", "I64", "U64", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F4",
        "F6_E2M3", "F6_E3M2", "C64",
    ];

    /// <summary>
    /// Writes <paramref name="tensors"/> (float32 or float64, any device) and optional string
    /// <paramref name="metadata"/> to <paramref name="path"/>. The file is written next to the target and renamed
    /// over it, so a failed save leaves an existing file untouched.
    /// </summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var bytes = Serialize(tensors, metadata);
        string full = Path.GetFullPath(path);
        string temporary = full + ".tmp";
        try
        {
            File.WriteAllBytes(temporary, bytes);
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    /// <summary>Writes the safetensors bytes of <paramref name="tensors"/> to <paramref name="stream"/>.</summary>
    public static void Save(Stream stream, IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(Serialize(tensors, metadata));
    }

    /// <summary>The safetensors bytes of <paramref name="tensors"/> and <paramref name="metadata"/>.</summary>
    public static byte[] Serialize(IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var entries = new List<(string Name, byte[] Utf8, Tensor Tensor)>(tensors.Count);
        foreach (var (name, tensor) in tensors)
        {
            if (name == MetadataKey)
            {
                throw new ArgumentException($"'{MetadataKey}' is reserved for metadata and cannot name a tensor",
                    nameof(tensors));
            }
            if (tensor is null || tensor.IsDisposed)
            {
                throw new ArgumentException($"tensor '{name}' is {(tensor is null ? "null" : "disposed")}",
                    nameof(tensors));
            }
            entries.Add((name, Utf8Bytes(name, "tensor name"), tensor));
        }
        // The reference orders by descending dtype alignment, then by name (byte-wise UTF-8), so data stays aligned.
        entries.Sort((a, b) =>
        {
            int byType = ElementBytes(b.Tensor.DType).CompareTo(ElementBytes(a.Tensor.DType));
            return byType != 0 ? byType : a.Utf8.AsSpan().SequenceCompareTo(b.Utf8);
        });

        var header = new StringBuilder("{");
        if (metadata is not null)
        {
            AppendString(header, MetadataKey);
            header.Append(":{");
            var keys = metadata.Keys.Select(k => (Key: k, Utf8: Utf8Bytes(k, "metadata key"))).ToList();
            keys.Sort((a, b) => a.Utf8.AsSpan().SequenceCompareTo(b.Utf8));
            for (int i = 0; i < keys.Count; i++)
            {
                string value = metadata[keys[i].Key] ??
                    throw new ArgumentException($"metadata '{keys[i].Key}' is null", nameof(metadata));
                Utf8Bytes(value, "metadata value");
                header.Append(i > 0 ? "," : "");
                AppendString(header, keys[i].Key);
                header.Append(':');
                AppendString(header, value);
            }
            header.Append('}');
        }
        long offset = 0;
        for (int i = 0; i < entries.Count; i++)
        {
            var tensor = entries[i].Tensor;
            long bytes = (long)tensor.Size * ElementBytes(tensor.DType);
            header.Append(i > 0 || metadata is not null ? "," : "");
            AppendString(header, entries[i].Name);
            header.Append(":{\"dtype\":\"").Append(tensor.DType == DType.Float64 ? "F64" : "F32")
                .Append("\",\"shape\":[").AppendJoin(',', tensor.ShapeRef)
                .Append(CultureInfo.InvariantCulture, $"],\"data_offsets\":[{offset},{offset + bytes}]}}");
            offset += bytes;
        }
        header.Append('}');
        var headerBytes = StrictUtf8.GetBytes(header.ToString());
        int padded = (headerBytes.Length + 7) / 8 * 8;
        if (8L + padded + offset > Array.MaxLength)
        {
            throw new ArgumentException(
                $"these tensors need {8L + padded + offset} bytes, more than one array holds; save them in parts",
                nameof(tensors));
        }

        var file = new byte[8 + padded + offset];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)padded);
        headerBytes.CopyTo(file, 8);
        file.AsSpan(8 + headerBytes.Length, padded - headerBytes.Length).Fill((byte)' ');
        int position = 8 + padded;
        foreach (var (_, _, tensor) in entries)
        {
            var target = file.AsSpan(position);
            if (tensor.DType == DType.Float64)
            {
                var values = tensor.ToDoubleArray();
                for (int i = 0; i < values.Length; i++)
                {
                    BinaryPrimitives.WriteDoubleLittleEndian(target[(8 * i)..], values[i]);
                }
                position += 8 * values.Length;
            }
            else
            {
                var values = tensor.ToArray();
                for (int i = 0; i < values.Length; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(target[(4 * i)..], values[i]);
                }
                position += 4 * values.Length;
            }
        }
        return file;
    }

    /// <summary>
    /// The tensors in the safetensors file at <paramref name="path"/>, on <paramref name="device"/> (default:
    /// <see cref="Device.Default"/>). Throws <see cref="InvalidDataException"/> saying what is wrong with a malformed
    /// file.
    /// </summary>
    public static Dictionary<string, Tensor> Load(string path, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        return Load(stream, device);
    }

    /// <summary>The tensors and the metadata of the safetensors file at <paramref name="path"/>.</summary>
    public static Dictionary<string, Tensor> Load(string path, out Dictionary<string, string> metadata,
        Device? device = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        return Load(stream, out metadata, device);
    }

    /// <summary>The tensors read from a seekable <paramref name="stream"/> positioned at the file's start.</summary>
    public static Dictionary<string, Tensor> Load(Stream stream, Device? device = null) =>
        Load(stream, out _, device);

    /// <summary>The tensors and metadata read from a seekable <paramref name="stream"/>.</summary>
    public static Dictionary<string, Tensor> Load(Stream stream, out Dictionary<string, string> metadata,
        Device? device = null)
    {
        var header = ReadHeader(stream);
        metadata = header.Metadata;
        var target = device ?? Device.Default;
        var result = new Dictionary<string, Tensor>(header.Entries.Count, StringComparer.Ordinal);
        try
        {
            foreach (var entry in header.Entries)
            {
                result.Add(entry.Name, ReadTensor(stream, entry, target));
            }
        }
        catch
        {
            foreach (var tensor in result.Values)
            {
                tensor.Dispose();
            }
            throw;
        }
        return result;
    }

    /// <summary>Only the <c>__metadata__</c> map of the file at <paramref name="path"/> (empty when absent).</summary>
    public static Dictionary<string, string> LoadMetadata(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        return ReadHeader(stream).Metadata;
    }

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
                if (!seen.Add(property.Name))
                {
                    throw Invalid($"the header names '{property.Name}' twice");
                }
                if (property.Name == MetadataKey)
                {
                    ReadMetadata(property.Value, metadata);
                }
                else
                {
                    entries.Add(ReadEntry(property.Name, property.Value, dataLength));
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

    private static Tensor ReadTensor(Stream stream, Entry entry, Device device)
    {
        int count = Shapes.Size(entry.Shape);
        switch (entry.DType)
        {
            case "F64":
            {
                var values = new double[count];
                ReadExactly(stream, MemoryMarshal.AsBytes(values.AsSpan()));
                if (!BitConverter.IsLittleEndian)
                {
                    var bits = MemoryMarshal.Cast<double, long>(values.AsSpan());
                    BinaryPrimitives.ReverseEndianness(bits, bits);
                }
                return Tensor.FromArray(values, entry.Shape, device);
            }
            case "F32":
            {
                var values = new float[count];
                ReadExactly(stream, MemoryMarshal.AsBytes(values.AsSpan()));
                if (!BitConverter.IsLittleEndian)
                {
                    var bits = MemoryMarshal.Cast<float, int>(values.AsSpan());
                    BinaryPrimitives.ReverseEndianness(bits, bits);
                }
                return Tensor.FromArray(values, entry.Shape, device);
            }
            default:
            {
                var raw = new byte[2L * count];
                ReadExactly(stream, raw);
                var values = new float[count];
                bool brain = entry.DType == "BF16";
                for (int i = 0; i < count; i++)
                {
                    ushort bits = BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(2 * i));
                    // bfloat16 is the top half of a float32; float16 widens exactly through Half.
                    values[i] = brain
                        ? BitConverter.Int32BitsToSingle(bits << 16)
                        : (float)BitConverter.UInt16BitsToHalf(bits);
                }
                return Tensor.FromArray(values, entry.Shape, device);
            }
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

    private static void ReadExactly(Stream stream, Span<byte> buffer)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException)
        {
            throw Invalid("the file ended early (was it changed while being read?)");
        }
    }

    private static void AppendString(StringBuilder json, string text)
    {
        // Escapes exactly what serde_json (the reference writer) escapes, so the bytes match.
        json.Append('"');
        foreach (char c in text)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case '\b': json.Append("\\b"); break;
                case '\f': json.Append("\\f"); break;
                case '\n': json.Append("\\n"); break;
                case '\r': json.Append("\\r"); break;
                case '\t': json.Append("\\t"); break;
                default:
                    if (c < 0x20)
                    {
                        json.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                    }
                    else
                    {
                        json.Append(c);
                    }
                    break;
            }
        }
        json.Append('"');
    }

    private static byte[] Utf8Bytes(string text, string what)
    {
        ArgumentNullException.ThrowIfNull(text, what);
        try
        {
            return StrictUtf8.GetBytes(text);
        }
        catch (EncoderFallbackException)
        {
            throw new ArgumentException($"{what} '{text}' is not valid Unicode (a lone surrogate)");
        }
    }

    private static int ElementBytes(DType dtype) => dtype == DType.Float64 ? 8 : 4;

    private static string Kind(JsonElement value) => value.ValueKind.ToString().ToLowerInvariant();

    private static InvalidDataException Invalid(string message) => new($"safetensors: {message}");

    private sealed record Entry(string Name, string DType, int[] Shape, long Begin, long End);

    private sealed record Header(List<Entry> Entries, Dictionary<string, string> Metadata);
}
