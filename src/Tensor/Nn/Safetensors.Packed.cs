using System.Buffers.Binary;
using System.Runtime.InteropServices;
using MicrogradPlus.Backends;

namespace MicrogradPlus.Nn;

// Reading the data section: the tensors of one element type in one device allocation, filled through one window.
public static partial class Safetensors
{
    /// <summary>The most bytes a host window over a tensor type's allocation holds.</summary>
    private const int WindowBytes = 1 << 20;

    /// <summary>
    /// Bytes of staging the 16-bit tensors need for their stored halves, which widen into the float32 window: as many
    /// halves as the window holds (all of the largest such tensor when it is smaller).
    /// </summary>
    private static int HalfStagingBytes(ReadOnlySpan<Entry> entries, int windowLength)
    {
        long most = 0;
        foreach (ref readonly var entry in entries)
        {
            if (entry.DType is StoredType.F16 or StoredType.BF16)
            {
                most = Math.Max(most, Math.Min((entry.End - entry.Begin) / 2, windowLength));
            }
        }
        return (int)(2 * most);
    }

    /// <summary>
    /// The memory of every non-empty tensor of one element type in the file: one pooled allocation, each tensor a
    /// sub-lease of its own in it (<see cref="DeviceBuffer{T}.Share"/>: its own storage, version and lifetime), and one
    /// host window over the allocation through which the tensors are read. Many small tensors thus cost one device
    /// allocation and a copy to the device per window, not one of each per tensor, and neither an object the GC must
    /// finalize: what a file of tiny tensors allocates stays a small multiple of its size.
    /// </summary>
    /// <remarks>
    /// Tensors start on a multiple of <see cref="DeviceBuffer{T}.ShareAlignment"/> elements (the kernels' vector
    /// loads), in the order of the data section; the few elements between them are zeros.
    /// </remarks>
    private sealed class Packed<T> : IDisposable where T : unmanaged
    {
        private const int Alignment = DeviceBuffer<T>.ShareAlignment;

        private readonly DeviceBuffer<T>? _whole;
        private readonly T[] _window = [];
        private long _windowStart; // the element of the allocation _window[0] stands for
        private long _filled; // the elements [_windowStart, _filled) of the window are read
        private long _next; // where the next tensor starts

        public Packed(ReadOnlySpan<Entry> entries, Device device)
        {
            long total = 0;
            foreach (ref readonly var entry in entries)
            {
                if (entry.End > entry.Begin && (entry.DType == StoredType.F64) == (typeof(T) == typeof(double)))
                {
                    total = Align(total) + entry.Elements;
                }
            }
            if (total > 0)
            {
                // Unguarded: Dispose returns this lease for certain; the tensors' sub-leases share a guard.
                _whole = device.Pool.Rent<T>(total, guarded: false);
                _window = new T[Math.Min(total, WindowBytes / System.Runtime.CompilerServices.Unsafe.SizeOf<T>())];
            }
        }

        /// <summary>Elements the window holds.</summary>
        public int WindowLength => _window.Length;

        /// <summary>
        /// The next tensor of the data section (of this type, not empty): its data read into the window, or straight
        /// through it to the device when larger. The entry's shape array becomes the tensor's (only tensors of this
        /// file hold it, and never write to it), with <paramref name="strides"/>, its contiguous strides.
        /// </summary>
        public Tensor Read(Stream stream, in Entry entry, int[] strides, byte[] halves)
        {
            long at = _next, count = entry.Elements;
            if (at + count - _windowStart > _window.Length)
            {
                Flush();
                _windowStart = _filled = at;
            }
            if (count <= _window.Length)
            {
                int filled = (int)(_filled - _windowStart), start = (int)(at - _windowStart);
                _window.AsSpan(filled, start - filled).Clear();
                ReadValues(stream, entry.DType, _window.AsSpan(start, (int)count), halves);
                _filled = at + count;
            }
            else
            {
                for (long done = 0; done < count;)
                {
                    var piece = _window.AsSpan(0, (int)Math.Min(count - done, _window.Length));
                    ReadValues(stream, entry.DType, piece, halves);
                    _whole!.CopyFrom(at + done, piece);
                    done += piece.Length;
                }
                _windowStart = _filled = at + count;
            }
            _next = Align(at + count);
            return new Tensor(Storage.Of(_whole!.Share(at, count)), entry.Shape, strides, 0);
        }

        /// <summary>Copies what the window holds to the device.</summary>
        public void Flush()
        {
            if (_filled > _windowStart)
            {
                _whole!.CopyFrom(_windowStart, _window.AsSpan(0, (int)(_filled - _windowStart)));
            }
            _windowStart = _filled;
        }

        /// <summary>Returns this lease on the allocation: it stays rented while a tensor's sub-lease holds it.</summary>
        public void Dispose() => _whole?.Dispose();

        private static long Align(long elements) => (elements + Alignment - 1) / Alignment * Alignment;

        /// <summary>Fills <paramref name="values"/> with the next stored values, widening 16-bit ones.</summary>
        private static void ReadValues(Stream stream, StoredType dtype, Span<T> values, byte[] halves)
        {
            if (dtype is StoredType.F32 or StoredType.F64)
            {
                ReadExactly(stream, MemoryMarshal.AsBytes(values));
                if (!BitConverter.IsLittleEndian)
                {
                    if (dtype == StoredType.F64)
                    {
                        var bits = MemoryMarshal.Cast<T, long>(values);
                        BinaryPrimitives.ReverseEndianness(bits, bits);
                    }
                    else
                    {
                        var bits = MemoryMarshal.Cast<T, int>(values);
                        BinaryPrimitives.ReverseEndianness(bits, bits);
                    }
                }
                return;
            }
            var raw = halves.AsSpan(0, 2 * values.Length);
            ReadExactly(stream, raw);
            var floats = MemoryMarshal.Cast<T, float>(values);
            bool brain = dtype == StoredType.BF16;
            for (int i = 0; i < floats.Length; i++)
            {
                ushort bits = BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]);
                // bfloat16 is the top half of a float32; float16 widens exactly through Half.
                floats[i] = brain
                    ? BitConverter.Int32BitsToSingle(bits << 16)
                    : (float)BitConverter.UInt16BitsToHalf(bits);
            }
        }
    }
}
