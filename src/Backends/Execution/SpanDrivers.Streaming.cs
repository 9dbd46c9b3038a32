using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

/// <summary>
/// Streaming stores for outputs larger than the caches. A plain store first reads its cache line from memory (to own
/// it), so an add of two inputs into an output moves four lines through memory for the three it needs; a streaming
/// store writes the line without reading it, which makes an add of 4M floats a fifth to a third faster on the CPU
/// device. It needs a 32-byte-aligned address, which only a pointer gives: this is the host executor's one unsafe
/// code. The loops start at the output's first 32-byte boundary; the vector before it is computed before any store
/// (the output may be an input) and written last, so every element still gets the operator's vector form.
/// </summary>
internal static partial class SpanDrivers
{
    /// <summary>
    /// y = op(x) over whole vectors with streaming stores, two an iteration (more spill an exp's registers); returns
    /// where the caller's vector loop goes on (0 where streaming does not apply: see <see cref="StreamingHead"/>).
    /// </summary>
    private static unsafe int MapStreaming<T, TOp>(ReadOnlySpan<T> x, Span<T> y, TOp op)
        where T : unmanaged
        where TOp : struct, IUnaryOp<T>
    {
        nuint n = (nuint)Vector<T>.Count, length = (nuint)y.Length;
        ref T xs = ref MemoryMarshal.GetReference(x);
        fixed (T* ys = y)
        {
            int head = StreamingHead(ys, y.Length);
            if (head < 0)
            {
                return 0;
            }
            var first = op.Apply(Vector.LoadUnsafe(ref xs));
            nuint i = (nuint)head;
            for (; i + 2 * n <= length; i += 2 * n)
            {
                var r0 = op.Apply(Vector.LoadUnsafe(ref xs, i));
                var r1 = op.Apply(Vector.LoadUnsafe(ref xs, i + n));
                Vector256.StoreAlignedNonTemporal(r0.AsVector256(), ys + i);
                Vector256.StoreAlignedNonTemporal(r1.AsVector256(), ys + i + n);
            }
            Fence();
            first.StoreUnsafe(ref *ys);
            return (int)i;
        }
    }

    /// <summary>As <see cref="MapStreaming{T, TOp}"/> for c = op(a, b), each operand a run or a broadcast value.</summary>
    private static unsafe int ZipStreaming<T, TOp, TA, TB>(TA a, TB b, Span<T> c, TOp op)
        where T : unmanaged
        where TOp : struct, IBinaryOp<T>
        where TA : struct, IOperand<T>, allows ref struct
        where TB : struct, IOperand<T>, allows ref struct
    {
        nuint n = (nuint)Vector<T>.Count, length = (nuint)c.Length;
        fixed (T* cs = c)
        {
            int head = StreamingHead(cs, c.Length);
            if (head < 0)
            {
                return 0;
            }
            var first = op.Apply(a.At(0), b.At(0));
            // Four an iteration: binary operators are light, and the loop then runs ahead of memory.
            nuint i = (nuint)head;
            for (; i + 4 * n <= length; i += 4 * n)
            {
                var r0 = op.Apply(a.At(i), b.At(i));
                var r1 = op.Apply(a.At(i + n), b.At(i + n));
                var r2 = op.Apply(a.At(i + 2 * n), b.At(i + 2 * n));
                var r3 = op.Apply(a.At(i + 3 * n), b.At(i + 3 * n));
                Vector256.StoreAlignedNonTemporal(r0.AsVector256(), cs + i);
                Vector256.StoreAlignedNonTemporal(r1.AsVector256(), cs + i + n);
                Vector256.StoreAlignedNonTemporal(r2.AsVector256(), cs + i + 2 * n);
                Vector256.StoreAlignedNonTemporal(r3.AsVector256(), cs + i + 3 * n);
            }
            Fence();
            first.StoreUnsafe(ref *cs);
            return (int)i;
        }
    }

    /// <summary>
    /// Elements before the first 32-byte boundary of <paramref name="y"/> (fixed by the caller), or -1 where
    /// streaming does not apply: no 256-bit vectors, elements not aligned to their own size, or a short output.
    /// </summary>
    private static unsafe int StreamingHead<T>(T* y, int length) where T : unmanaged
    {
        if (!Vector256.IsHardwareAccelerated || !Sse.IsSupported || Vector<byte>.Count != 32 ||
            length < 4 * Vector<T>.Count)
        {
            return -1;
        }
        int size = Unsafe.SizeOf<T>();
        int misaligned = (int)((nuint)y % 32);
        return misaligned % size != 0 ? -1 : (32 - misaligned) % 32 / size;
    }

    // Streaming stores are weakly ordered: fence them before anything that may signal the work done.
    private static void Fence() => Sse.StoreFence();
}
