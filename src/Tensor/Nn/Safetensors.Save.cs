using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace MicrogradPlus.Nn;

// Writing: the file layout and the header bytes exactly as the reference implementation writes them.
public static partial class Safetensors
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false,
        throwOnInvalidBytes: true);

    /// <summary>
    /// Writes <paramref name="tensors"/> (float32 or float64, any device) and optional string
    /// <paramref name="metadata"/> to <paramref name="path"/>. The file is written next to the target and renamed
    /// over it, so a failed save leaves an existing file untouched.
    /// </summary>
    /// <param name="path">The file to write (replaced if it exists).</param>
    /// <param name="tensors">Tensors by name: float32 or float64, any shape, on any device.</param>
    /// <param name="metadata">Optional string pairs stored as <c>__metadata__</c> (PyTorch's loader wants <c>"format": "pt"</c>).</param>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        AtomicFile.Write(path, Serialize(tensors, metadata));
    }

    /// <summary>Writes the safetensors bytes of <paramref name="tensors"/> to <paramref name="stream"/>.</summary>
    /// <param name="stream">A writable stream; the bytes are written at its position.</param>
    /// <param name="tensors">Tensors by name: float32 or float64, any shape, on any device.</param>
    /// <param name="metadata">Optional string pairs stored as <c>__metadata__</c> (PyTorch's loader wants <c>"format": "pt"</c>).</param>
    public static void Save(Stream stream, IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(Serialize(tensors, metadata));
    }

    /// <summary>The safetensors bytes of <paramref name="tensors"/> and <paramref name="metadata"/>.</summary>
    /// <param name="tensors">Tensors by name: float32 or float64, any shape, on any device.</param>
    /// <param name="metadata">Optional string pairs stored as <c>__metadata__</c> (PyTorch's loader wants <c>"format": "pt"</c>).</param>
    /// <returns>The whole file's bytes: the 8-byte header length, the JSON header and the data.</returns>
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
}
