using System.Text.Json;
using MicrogradPlus.Backends;

namespace MicrogradPlus.Nn;

// One tensor's entry of the header: {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, read token by
// token. Fields may come in any order and unknown ones are ignored; a field named twice counts with its last value.
public static partial class Safetensors
{
    private static readonly string[] KnownUnsupported =
    [
        "BOOL", "U8", "I8", "I16", "U16", "I32", "U32", "I64", "U64", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F4",
        "F6_E2M3", "F6_E3M2", "C64",
    ];

    /// <summary>
    /// The entry of tensor <paramref name="name"/>, the reader on its first token; leaves the reader on the entry's
    /// last token. Nothing is allocated but the shape (see <see cref="ReadShape"/>).
    /// </summary>
    private static Entry ReadEntry(byte[] json, string name, ref Utf8JsonReader reader, long dataLength,
        int[]? previousShape)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Invalid($"tensor '{Abbreviate(name)}': its entry is a JSON {Kind(reader.TokenType)}, not an object");
        }
        // Where each field's value lies in the header (absent: default); read once the whole entry has been seen.
        FieldText dtypeText = default, shapeText = default, offsetsText = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            ref var text = ref dtypeText;
            bool known = true;
            if (reader.ValueTextEquals("shape"u8))
            {
                text = ref shapeText;
            }
            else if (reader.ValueTextEquals("data_offsets"u8))
            {
                text = ref offsetsText;
            }
            else if (!reader.ValueTextEquals("dtype"u8))
            {
                known = false;
            }
            reader.Read();
            int at = (int)reader.TokenStartIndex;
            var token = reader.TokenType;
            // A reader of part of the text skips with TrySkip; the whole entry is in the window
            // (HeaderText.NextMember), so it succeeds.
            if (!reader.TrySkip())
            {
                throw Invalid($"tensor '{Abbreviate(name)}': the header ends inside its entry");
            }
            if (known)
            {
                text = new FieldText(at, (int)reader.BytesConsumed - at, token);
            }
        }

        var dtype = ReadDType(json, name, dtypeText, out int elementBytes);
        var shape = ReadShape(json, name, shapeText, previousShape, out long elements);
        (long begin, long end) = ReadOffsets(json, name, offsetsText);
        if (begin > end)
        {
            throw Invalid($"tensor '{Abbreviate(name)}': data_offsets [{begin}, {end}] begin after they end");
        }
        if (end > dataLength)
        {
            throw Invalid($"tensor '{Abbreviate(name)}': data_offsets [{begin}, {end}] run past the data section " +
                $"({dataLength} bytes)");
        }
        if (elements * elementBytes != end - begin)
        {
            throw Invalid($"tensor '{Abbreviate(name)}': shape {Shapes.Format(shape)} of {dtype} needs " +
                $"{elements * elementBytes} bytes, but data_offsets [{begin}, {end}] hold {end - begin}");
        }
        return new Entry(name, dtype, shape, begin);
    }

    private static StoredType ReadDType(byte[] json, string name, FieldText text, out int elementBytes)
    {
        var reader = Field(json, name, text, "dtype", JsonTokenType.String);
        (var dtype, elementBytes) =
            reader.ValueTextEquals("F32"u8) ? (StoredType.F32, 4) :
            reader.ValueTextEquals("F64"u8) ? (StoredType.F64, 8) :
            reader.ValueTextEquals("F16"u8) ? (StoredType.F16, 2) :
            reader.ValueTextEquals("BF16"u8) ? (StoredType.BF16, 2) :
            ((StoredType)255, 0);
        if (elementBytes == 0)
        {
            string dtypeName = Abbreviate(reader.GetString()!);
            throw KnownUnsupported.Contains(dtypeName)
                ? Invalid($"tensor '{Abbreviate(name)}' has dtype {dtypeName}, which MicrogradPlus does not load " +
                    "(F32, F64, F16, BF16 only)")
                : Invalid($"tensor '{Abbreviate(name)}' has unknown dtype '{dtypeName}'");
        }
        return dtype;
    }

    /// <summary>
    /// The shape array: each dimension a non-negative integer, the product within a tensor's size. A shape equal to
    /// <paramref name="previous"/> (the entry before's, as in a file of many alike tensors) is that same array: the
    /// tensors never change their shape arrays.
    /// </summary>
    private static int[] ReadShape(byte[] json, string name, FieldText text, int[]? previous, out long elements)
    {
        var reader = Field(json, name, text, "shape", JsonTokenType.StartArray);
        var array = reader;
        int rank = CountItems(reader);
        int[]? large = rank > 16 ? new int[rank] : null;
        Span<int> shape = large is null ? stackalloc int[16] : large;
        shape = shape[..rank];
        elements = 1;
        for (int d = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; d++)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long size) || size < 0)
            {
                throw Invalid($"tensor '{Abbreviate(name)}': shape {RawText(json, text.At, array)} has dimension " +
                    $"{d} = {RawText(json, text.At, reader)}, not a non-negative integer");
            }
            if (size > int.MaxValue)
            {
                throw Invalid($"tensor '{Abbreviate(name)}': dimension {d} of shape " +
                    $"{RawText(json, text.At, array)} is over 2^31 - 1");
            }
            shape[d] = (int)size;
            // Saturates instead of overflowing; a later zero still makes the count 0.
            const long cap = long.MaxValue / 16;
            elements = size == 0 || elements <= cap / size ? elements * size : cap;
        }
        if (elements > int.MaxValue)
        {
            throw Invalid($"tensor '{Abbreviate(name)}': shape {Shapes.Format(shape)} has more elements than a " +
                "tensor holds");
        }
        return large ?? (previous is not null && shape.SequenceEqual(previous) ? previous : shape.ToArray());
    }

    private static (long Begin, long End) ReadOffsets(byte[] json, string name, FieldText text)
    {
        var reader = Field(json, name, text, "data_offsets", JsonTokenType.StartArray);
        var array = reader;
        long begin = -1, end = -1;
        if (CountItems(reader) != 2 ||
            !reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out begin) ||
            !reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out end) ||
            begin < 0 || end < 0)
        {
            throw Invalid($"tensor '{Abbreviate(name)}': data_offsets {RawText(json, text.At, array)} is not two " +
                "non-negative integers");
        }
        return (begin, end);
    }

    /// <summary>
    /// A reader of exactly the field's value (a whole JSON text of its own), on its first token; the field must be
    /// there and be a <paramref name="kind"/>.
    /// </summary>
    private static Utf8JsonReader Field(byte[] json, string name, FieldText text, string key, JsonTokenType kind)
    {
        if (text.Token == JsonTokenType.None)
        {
            throw Invalid($"tensor '{Abbreviate(name)}': its entry has no \"{key}\"");
        }
        if (text.Token != kind)
        {
            string expected = kind == JsonTokenType.StartArray ? "an array" : "a string";
            throw Invalid($"tensor '{Abbreviate(name)}': \"{key}\" is a JSON {Kind(text.Token)}, not {expected}");
        }
        var reader = new Utf8JsonReader(json.AsSpan(text.At, text.Length));
        reader.Read();
        return reader;
    }

    /// <summary>How many values the array holds, <paramref name="reader"/> (a copy) on its opening bracket.</summary>
    private static int CountItems(Utf8JsonReader reader)
    {
        int items = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            items++;
            reader.Skip();
        }
        return items;
    }

    /// <summary>Where a field's value lies in the header, and its first token (None: the field is absent).</summary>
    private readonly record struct FieldText(int At, int Length, JsonTokenType Token);
}
