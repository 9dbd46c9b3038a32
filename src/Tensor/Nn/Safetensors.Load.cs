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
        // The tensors of each element type share one allocation, filled through one host window (see Packed).
        using var singles = new Packed<float>(entries, target);
        using var doubles = new Packed<double>(entries, target);
        var halves = new byte[HalfStagingBytes(entries, singles.WindowLength)];
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
                var tensor = entry.End == entry.Begin
                    ? Tensor.Empty(shape, strides!, entry.DType == StoredType.F64 ? DType.Float64 : DType.Float32,
                        target)
                    : entry.DType == StoredType.F64
                        ? doubles.Read(stream, entry, strides!, halves)
                        : singles.Read(stream, entry, strides!, halves);
                result.Add(entry.Name, tensor);
            }
            singles.Flush();
            doubles.Flush();
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
