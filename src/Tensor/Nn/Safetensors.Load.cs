using System.Buffers.Binary;
using System.Runtime.InteropServices;
using MicrogradPlus.Backends;

namespace MicrogradPlus.Nn;

// Reading: tensors and metadata from a file or stream, once the header has been checked.
public static partial class Safetensors
{
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
}
