using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using MicrogradPlus.Backends;

namespace MicrogradPlus.Nn;

// The header: its length prefix and JSON, read as a stream of tokens (no document tree, and no copy of the whole text:
// see HeaderText) into one compact record per tensor, and the data layout those records describe, all validated
// before any tensor is allocated. What the reader allocates stays a small multiple of the header's size whatever the
// header holds: each name is made into a string once, and the records go into arrays sized by a first pass that only
// checks the syntax and counts the names.
public static partial class Safetensors
{
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
        var text = new HeaderText(stream, (int)n);
        long dataLength = length - 8 - (long)n;
        var header = ParseHeader(text, dataLength);
        stream.Position = text.End; // the data section follows
        return header;
    }

    private static Header ParseHeader(HeaderText text, long dataLength)
    {
        try
        {
            return ParseHeaderJson(text, dataLength);
        }
        catch (InvalidOperationException e)
        {
            // System.Text.Json reads an escaped lone surrogate ("\ud800") as a string only when asked for it, and
            // then throws InvalidOperationException: it is malformed data all the same.
            throw Invalid($"the header holds a string that is not valid text (a lone surrogate escape?): {e.Message}");
        }
    }

    private static Header ParseHeaderJson(HeaderText text, long dataLength)
    {
        // The whole text is checked first, so a syntax error anywhere is reported as such, before any entry's content.
        int names = CheckSyntaxAndCountNames(text);
        var reader = text.Begin(validate: false);
        while (!reader.Read())
        {
            // Only blanks in the window so far; the syntax check saw a value after them.
            if (!text.More(ref reader))
            {
                throw Invalid("the header holds no JSON value");
            }
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Invalid($"the header is a JSON {Kind(reader.TokenType)}, not an object");
        }
        // Room for every name, but no more than the header's length could describe valid tensors: a header of many
        // short names that are not tensors must not cost a record each.
        int capacity = Math.Min(names, text.Length / MinEntryBytes + 1);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = new Entry[capacity];
        int count = 0;
        bool sawMetadata = false;
        while (text.NextMember(ref reader))
        {
            reader.Read();
            string name = reader.GetString()!;
            reader.Read();
            if (name == MetadataKey)
            {
                if (sawMetadata)
                {
                    throw Invalid($"the header names '{MetadataKey}' twice");
                }
                sawMetadata = true;
                ReadMetadata(ref reader, metadata);
            }
            else
            {
                if (count == entries.Length)
                {
                    Array.Resize(ref entries, 2 * count); // not for a valid header: see MinEntryBytes
                }
                entries[count] = ReadEntry(text.Window, name, ref reader, dataLength,
                    count > 0 ? entries[count - 1].Shape : null);
                count++;
            }
        }
        CheckNamesDiffer(entries.AsSpan(0, count));
        CheckLayout(entries.AsSpan(0, count), dataLength);
        return new Header(entries, count, metadata);
    }

    /// <summary>
    /// No name twice, found by sorting the records by name (in place: no set of names beside them, which would cost
    /// a third of what a file of many short entries pays per tensor).
    /// </summary>
    private static void CheckNamesDiffer(Span<Entry> entries)
    {
        entries.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        for (int i = 1; i < entries.Length; i++)
        {
            if (string.Equals(entries[i].Name, entries[i - 1].Name, StringComparison.Ordinal))
            {
                throw Invalid($"the header names '{Abbreviate(entries[i].Name)}' twice");
            }
        }
    }

    /// <summary>
    /// The length of the shortest valid tensor entry, <c>"":{"dtype":"F32","shape":[],"data_offsets":[0,0]}</c>
    /// (escapes only make the text longer).
    /// </summary>
    private const int MinEntryBytes = 50;

    /// <summary>
    /// Reads every token once (allocating nothing but the window) and counts the names of the outermost object; checks
    /// the text is UTF-8 on the way.
    /// </summary>
    private static int CheckSyntaxAndCountNames(HeaderText text)
    {
        int names = 0;
        try
        {
            var reader = text.Begin(validate: true);
            do
            {
                while (reader.Read())
                {
                    if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1)
                    {
                        names++;
                    }
                }
            }
            while (text.More(ref reader));
        }
        catch (JsonException e)
        {
            throw Invalid($"the header is not valid JSON: {e.Message}");
        }
        return names;
    }

    /// <summary>The <c>__metadata__</c> value, the reader on its first token; leaves it on the value's last.</summary>
    private static void ReadMetadata(ref Utf8JsonReader reader, Dictionary<string, string> metadata)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Invalid($"'{MetadataKey}' is a JSON {Kind(reader.TokenType)}, not an object of strings");
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string key = reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
            {
                throw Invalid($"'{MetadataKey}' entry '{Abbreviate(key)}' is a JSON {Kind(reader.TokenType)}, " +
                    "not a string");
            }
            if (!metadata.TryAdd(key, reader.GetString()!))
            {
                throw Invalid($"'{MetadataKey}' names '{Abbreviate(key)}' twice");
            }
        }
    }

    /// <summary>Tensors must tile the data section exactly: no overlap, no hole, nothing after the last one.</summary>
    private static void CheckLayout(Span<Entry> entries, long dataLength)
    {
        entries.Sort(static (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        for (int i = 0; i < entries.Length; i++)
        {
            var entry = entries[i];
            if (entry.Begin < expected)
            {
                var previous = entries[i - 1];
                throw Invalid($"tensor '{Abbreviate(entry.Name)}' (bytes [{entry.Begin}, {entry.End}]) overlaps " +
                    $"tensor '{Abbreviate(previous.Name)}' (bytes [{previous.Begin}, {previous.End}])");
            }
            if (entry.Begin > expected)
            {
                throw Invalid($"bytes [{expected}, {entry.Begin}) of the data section before tensor " +
                    $"'{Abbreviate(entry.Name)}' belong to no tensor (the tensors must cover the data section " +
                    "without holes)");
            }
            expected = entry.End;
        }
        if (expected != dataLength)
        {
            throw Invalid($"the data section is {dataLength} bytes but the tensors cover {expected}: " +
                $"{dataLength - expected} trailing bytes belong to no tensor");
        }
    }

    /// <summary>A name short enough for a message (a hostile file may hold megabyte-long names).</summary>
    private static string Abbreviate(string name) => name.Length <= 200 ? name : name[..200] + "…";

    /// <summary>What a value is, in the words of <see cref="JsonValueKind"/>, from its first token.</summary>
    private static string Kind(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "object",
        JsonTokenType.StartArray => "array",
        JsonTokenType.String => "string",
        JsonTokenType.Number => "number",
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        _ => token.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// The text of the value <paramref name="reader"/> (a copy) is on, for messages; the reader reads the header from
    /// byte <paramref name="at"/>.
    /// </summary>
    private static string RawText(byte[] json, int at, Utf8JsonReader reader)
    {
        int start = at + (int)reader.TokenStartIndex;
        reader.Skip();
        return Abbreviate(Encoding.UTF8.GetString(json, start, at + (int)reader.BytesConsumed - start));
    }

    /// <summary>The element types the reader loads; F16 and BF16 widen to float32.</summary>
    private enum StoredType : byte
    {
        F32,
        F64,
        F16,
        BF16,
    }

    /// <summary>One tensor of the header: its name, stored type, shape and bytes in the data section.</summary>
    private readonly record struct Entry(string Name, StoredType DType, int[] Shape, long Begin)
    {
        /// <summary>Elements of the tensor.</summary>
        public long Elements => Shapes.Size(Shape);

        /// <summary>Where the tensor's bytes end: not stored, as the shape and type say it (32 bytes a record).</summary>
        public long End => Begin + Elements * ElementBytes(DType);
    }

    private static int ElementBytes(StoredType dtype) => dtype switch
    {
        StoredType.F64 => 8,
        StoredType.F32 => 4,
        _ => 2,
    };

    /// <summary>The first <see cref="Count"/> of <see cref="Entries"/>, sorted by offset, and the metadata.</summary>
    private sealed record Header(Entry[] Entries, int Count, Dictionary<string, string> Metadata);
}
