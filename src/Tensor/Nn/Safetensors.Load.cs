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
    /// <param name="path">The safetensors file to read.</param>
    /// <param name="device">Where the tensors are created; null for <see cref="Device.Default"/>.</param>
    /// <returns>A new dictionary from tensor names to new tensors (float32, or float64 for F64), which the caller owns.</returns>
    public static Dictionary<string, Tensor> Load(string path, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        return Load(stream, device);
    }

    /// <summary>The tensors and the metadata of the safetensors file at <paramref name="path"/>.</summary>
    /// <param name="path">The safetensors file to read.</param>
    /// <param name="metadata">The file's <c>__metadata__</c> map, empty when the file has none.</param>
    /// <param name="device">Where the tensors are created; null for <see cref="Device.Default"/>.</param>
    /// <returns>A new dictionary from tensor names to new tensors (float32, or float64 for F64), which the caller owns.</returns>
    public static Dictionary<string, Tensor> Load(string path, out Dictionary<string, string> metadata,
        Device? device = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        return Load(stream, out metadata, device);
    }

    /// <summary>The tensors read from a seekable <paramref name="stream"/> positioned at the file's start.</summary>
    /// <param name="stream">A readable, seekable stream at the start of safetensors bytes.</param>
    /// <param name="device">Where the tensors are created; null for <see cref="Device.Default"/>.</param>
    /// <returns>A new dictionary from tensor names to new tensors (float32, or float64 for F64), which the caller owns.</returns>
    public static Dictionary<string, Tensor> Load(Stream stream, Device? device = null) =>
        Load(stream, out _, device);

    /// <summary>The tensors and metadata read from a seekable <paramref name="stream"/>.</summary>
    /// <param name="stream">A readable, seekable stream at the start of safetensors bytes.</param>
    /// <param name="metadata">The file's <c>__metadata__</c> map, empty when the file has none.</param>
    /// <param name="device">Where the tensors are created; null for <see cref="Device.Default"/>.</param>
    /// <returns>A new dictionary from tensor names to new tensors (float32, or float64 for F64), which the caller owns.</returns>
    public static Dictionary<string, Tensor> Load(Stream stream, out Dictionary<string, string> metadata,
        Device? device = null)
    {
        var header = ReadHeader(stream);
        metadata = header.Metadata;
        var target = device ?? Device.Default;
        var entries = header.Entries.AsSpan(0, header.Count);
        var result = new Dictionary<string, Tensor>(entries.Length, StringComparer.Ordinal);
        // One small staging buffer serves every tensor in turn, a piece at a time.
        var staging = new byte[StagingBytes(entries)];
        // Entries of one shape share one shape array (see ReadShape), and so one strides array.
        int[]? shape = null, strides = null;
        try
        {
            foreach (ref readonly var entry in entries)
            {
                if (!ReferenceEquals(entry.Shape, shape))
                {
                    shape = entry.Shape;
                    strides = Shapes.ContiguousStrides(shape);
                }
                result.Add(entry.Name, ReadTensor(stream, entry, strides!, target, staging));
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
    /// <param name="path">The safetensors file to read (only its header is read).</param>
    /// <returns>A new dictionary of the metadata's keys and values.</returns>
    public static Dictionary<string, string> LoadMetadata(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        return ReadHeader(stream).Metadata;
    }

    /// <summary>Stored bytes read from the stream at a time.</summary>
    private const int StagingChunkBytes = 1 << 20;

    /// <summary>
    /// Bytes of staging the tensors need: a chunk of their data (all of it when smaller), and for the 16-bit types
    /// the chunk widened to float32 too.
    /// </summary>
    private static int StagingBytes(ReadOnlySpan<Entry> entries)
    {
        long most = 0;
        foreach (ref readonly var entry in entries)
        {
            long bytes = Math.Min(entry.End - entry.Begin, StagingChunkBytes);
            most = Math.Max(most, entry.DType is StoredType.F16 or StoredType.BF16 ? 3 * bytes : bytes);
        }
        return (int)most;
    }

    /// <summary>
    /// The next tensor of the data section, read chunk by chunk through <paramref name="staging"/> into the tensor's
    /// memory. The entry's shape array becomes the tensor's (only tensors of this file hold it, and never write to it),
    /// with <paramref name="strides"/>, its contiguous strides.
    /// </summary>
    private static Tensor ReadTensor(Stream stream, in Entry entry, int[] strides, Device device, byte[] staging)
    {
        var tensor = Tensor.Empty(entry.Shape, strides, entry.DType == StoredType.F64 ? DType.Float64 : DType.Float32,
            device);
        try
        {
            int storedBytes = ElementBytes(entry.DType);
            long elements = (entry.End - entry.Begin) / storedBytes;
            for (long done = 0; done < elements;)
            {
                int count = (int)Math.Min(elements - done, StagingChunkBytes / storedBytes);
                ReadChunk(stream, entry.DType, tensor, done, count, staging);
                done += count;
            }
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    /// <summary>Elements [<paramref name="start"/>, start + <paramref name="count"/>) of a tensor's data.</summary>
    private static void ReadChunk(Stream stream, StoredType dtype, Tensor tensor, long start, int count,
        byte[] staging)
    {
        switch (dtype)
        {
            case StoredType.F64:
            {
                var data = staging.AsSpan(0, 8 * count);
                ReadExactly(stream, data);
                var values = MemoryMarshal.Cast<byte, double>(data);
                if (!BitConverter.IsLittleEndian)
                {
                    var bits = MemoryMarshal.Cast<double, long>(values);
                    BinaryPrimitives.ReverseEndianness(bits, bits);
                }
                tensor.Storage.Float64!.CopyFrom(start, values);
                break;
            }
            case StoredType.F32:
            {
                var data = staging.AsSpan(0, 4 * count);
                ReadExactly(stream, data);
                var values = MemoryMarshal.Cast<byte, float>(data);
                if (!BitConverter.IsLittleEndian)
                {
                    var bits = MemoryMarshal.Cast<float, int>(values);
                    BinaryPrimitives.ReverseEndianness(bits, bits);
                }
                tensor.Storage.Float32!.CopyFrom(start, values);
                break;
            }
            default:
            {
                // The raw halves go after the room for the widened floats, so widening never overwrites them.
                var raw = staging.AsSpan(4 * count, 2 * count);
                ReadExactly(stream, raw);
                var values = MemoryMarshal.Cast<byte, float>(staging.AsSpan(0, 4 * count));
                bool brain = dtype == StoredType.BF16;
                for (int i = 0; i < count; i++)
                {
                    ushort bits = BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]);
                    // bfloat16 is the top half of a float32; float16 widens exactly through Half.
                    values[i] = brain
                        ? BitConverter.Int32BitsToSingle(bits << 16)
                        : (float)BitConverter.UInt16BitsToHalf(bits);
                }
                tensor.Storage.Float32!.CopyFrom(start, values);
                break;
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
