using System.Numerics;
using System.Runtime.InteropServices;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

/// <summary>
/// The host executor's generic loops over spans: each runs an operator's vector form over whole
/// <see cref="Vector{T}"/>s where the operator has one (<see cref="VectorForm.Has{TOp}"/>, a constant for the JIT)
/// and its scalar form over the rest. No operator is named here: a new operator gets the vector loop by writing its
/// vector form.
/// </summary>
internal static class SpanDrivers
{
    /// <summary>y = op(x); y may be x.</summary>
    public static void Map<T, TOp>(ReadOnlySpan<T> x, Span<T> y, TOp op)
        where T : unmanaged
        where TOp : struct, IUnaryOp<T>
    {
        if (!VectorForm.Has<TOp>() || !Vector.IsHardwareAccelerated)
        {
            for (int j = 0; j < y.Length; j++)
            {
                y[j] = op.Apply(x[j]);
            }
            return;
        }
        ref T xs = ref MemoryMarshal.GetReference(x);
        ref T ys = ref MemoryMarshal.GetReference(y);
        // One vector an iteration: unrolling measured no faster for light operators and slower for exp (registers).
        int n = Vector<T>.Count, i = 0;
        for (; i <= y.Length - n; i += n)
        {
            op.Apply(Vector.LoadUnsafe(ref xs, (nuint)i)).StoreUnsafe(ref ys, (nuint)i);
        }
        if (i < y.Length)
        {
            MapTail(x[i..], y[i..], op);
        }
    }

    /// <summary>
    /// c = op(a, b) over one row, where a and b each hold the row or, with length 1, one value repeated along it
    /// (a broadcast operand); c may be a or b.
    /// </summary>
    public static void Zip<T, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, TOp op)
        where T : unmanaged
        where TOp : struct, IBinaryOp<T>
    {
        bool aOne = a.Length == 1 && c.Length > 1, bOne = b.Length == 1 && c.Length > 1;
        if (!VectorForm.Has<TOp>() || !Vector.IsHardwareAccelerated)
        {
            for (int j = 0; j < c.Length; j++)
            {
                c[j] = op.Apply(a[aOne ? 0 : j], b[bOne ? 0 : j]);
            }
            return;
        }
        // One loop per kind of operand, so no iteration asks which it is.
        int i = aOne && bOne ? ZipVectors(new Splat<T>(a[0]), new Splat<T>(b[0]), c, op)
            : aOne ? ZipVectors(new Splat<T>(a[0]), new Run<T>(b), c, op)
            : bOne ? ZipVectors(new Run<T>(a), new Splat<T>(b[0]), c, op)
            : ZipVectors(new Run<T>(a), new Run<T>(b), c, op);
        if (i < c.Length)
        {
            ZipTail(aOne ? a : a[i..], bOne ? b : b[i..], c[i..], op);
        }
    }

    /// <summary>c = op(a, b) over the whole vectors of c; returns where the ragged end starts.</summary>
    private static int ZipVectors<T, TOp, TA, TB>(TA a, TB b, Span<T> c, TOp op)
        where T : unmanaged
        where TOp : struct, IBinaryOp<T>
        where TA : struct, IOperand<T>, allows ref struct
        where TB : struct, IOperand<T>, allows ref struct
    {
        ref T cs = ref MemoryMarshal.GetReference(c);
        int n = Vector<T>.Count, i = 0;
        for (; i <= c.Length - n; i += n)
        {
            op.Apply(a.At(i), b.At(i)).StoreUnsafe(ref cs, (nuint)i);
        }
        return i;
    }

    // The ragged end through one padded vector: every element gets the vector form wherever it sits, so a strided row
    // and a contiguous run agree bit for bit. Apart from the loops, whose methods then need no stack buffer.
    private static void MapTail<T, TOp>(ReadOnlySpan<T> x, Span<T> y, TOp op)
        where T : unmanaged
        where TOp : struct, IUnaryOp<T>
    {
        Span<T> lanes = stackalloc T[Vector<T>.Count];
        lanes.Fill(x[0]);
        x.CopyTo(lanes);
        op.Apply(new Vector<T>(lanes)).CopyTo(lanes);
        lanes[..y.Length].CopyTo(y);
    }

    // As MapTail; an operand of length 1 is broadcast.
    private static void ZipTail<T, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, TOp op)
        where T : unmanaged
        where TOp : struct, IBinaryOp<T>
    {
        Span<T> u = stackalloc T[Vector<T>.Count];
        Span<T> v = stackalloc T[Vector<T>.Count];
        u.Fill(a[0]);
        v.Fill(b[0]);
        if (a.Length > 1 || c.Length == 1)
        {
            a.CopyTo(u);
        }
        if (b.Length > 1 || c.Length == 1)
        {
            b.CopyTo(v);
        }
        op.Apply(new Vector<T>(u), new Vector<T>(v)).CopyTo(u);
        u[..c.Length].CopyTo(c);
    }

    /// <summary>One operand of a vector loop: the vector of lanes at an index.</summary>
    private interface IOperand<T> where T : unmanaged
    {
        Vector<T> At(int i);
    }

    /// <summary>An operand that holds the row.</summary>
    private readonly ref struct Run<T>(ReadOnlySpan<T> values) : IOperand<T> where T : unmanaged
    {
        private readonly ReadOnlySpan<T> _values = values;

        public Vector<T> At(int i) => Vector.LoadUnsafe(ref MemoryMarshal.GetReference(_values), (nuint)i);
    }

    /// <summary>An operand broadcast along the row: one value in every lane.</summary>
    private readonly struct Splat<T>(T value) : IOperand<T> where T : unmanaged
    {
        private readonly Vector<T> _value = new(value);

        public Vector<T> At(int i) => _value;
    }

    /// <summary>
    /// The reduction of a non-empty run, pairwise: runs of up to <see cref="HostPolicy.PairwiseBlock"/> elements
    /// fold into four vectors of lanes (or serially, compensated, for operators without a vector form), and halves
    /// combine, so a sum's rounding error grows with the logarithm of the length, not the length.
    /// </summary>
    public static T Reduce<T, TOp>(ReadOnlySpan<T> x, TOp op)
        where T : unmanaged
        where TOp : struct, IReduceOp<T>
    {
        if (x.Length <= HostPolicy.PairwiseBlock)
        {
            return ReduceBlock(x, op);
        }
        // Halves on a whole number of vectors keep every block's loads aligned with the first's.
        int half = x.Length / 2 / Vector<T>.Count * Vector<T>.Count;
        return op.Combine(Reduce(x[..half], op), Reduce(x[half..], op));
    }

    private static T ReduceBlock<T, TOp>(ReadOnlySpan<T> x, TOp op)
        where T : unmanaged
        where TOp : struct, IReduceOp<T>
    {
        int i = 0;
        T result;
        if (VectorForm.Has<TOp>() && Vector.IsHardwareAccelerated && x.Length >= 4 * Vector<T>.Count)
        {
            ref T xs = ref MemoryMarshal.GetReference(x);
            int n = Vector<T>.Count;
            var identity = new Vector<T>(op.Identity);
            var (v0, v1, v2, v3) = (identity, identity, identity, identity);
            for (; i <= x.Length - 4 * n; i += 4 * n)
            {
                v0 = op.Combine(v0, Vector.LoadUnsafe(ref xs, (nuint)i));
                v1 = op.Combine(v1, Vector.LoadUnsafe(ref xs, (nuint)(i + n)));
                v2 = op.Combine(v2, Vector.LoadUnsafe(ref xs, (nuint)(i + 2 * n)));
                v3 = op.Combine(v3, Vector.LoadUnsafe(ref xs, (nuint)(i + 3 * n)));
            }
            var lanes = op.Combine(op.Combine(v0, v1), op.Combine(v2, v3));
            result = Lanes(lanes, op);
        }
        else
        {
            result = op.Identity;
        }
        var run = new Running<T>(result, default);
        for (; i < x.Length; i++)
        {
            run = op.Fold(run, x[i]);
        }
        return op.Finish(run);
    }

    /// <summary>
    /// The lanes of <paramref name="v"/> combined as a tree: three dependent steps for eight lanes where a serial fold
    /// takes seven, which is most of a short row's reduction (<see cref="Vector{T}.Count"/> is a constant to the JIT,
    /// so only one branch is compiled).
    /// </summary>
    private static T Lanes<T, TOp>(Vector<T> v, TOp op)
        where T : unmanaged
        where TOp : struct, IReduceOp<T>
    {
        if (Vector<T>.Count == 8)
        {
            return op.Combine(op.Combine(op.Combine(v[0], v[1]), op.Combine(v[2], v[3])),
                op.Combine(op.Combine(v[4], v[5]), op.Combine(v[6], v[7])));
        }
        if (Vector<T>.Count == 4)
        {
            return op.Combine(op.Combine(v[0], v[1]), op.Combine(v[2], v[3]));
        }
        T result = v[0];
        for (int lane = 1; lane < Vector<T>.Count; lane++)
        {
            result = op.Combine(result, v[lane]);
        }
        return result;
    }

    /// <summary>acc = op(acc, x) lane by lane over two rows of one length (a reduction over a leading axis).</summary>
    public static void Accumulate<T, TOp>(Span<T> acc, ReadOnlySpan<T> x, TOp op)
        where T : unmanaged
        where TOp : struct, IReduceOp<T>
    {
        int i = 0;
        if (VectorForm.Has<TOp>() && Vector.IsHardwareAccelerated)
        {
            ref T accs = ref MemoryMarshal.GetReference(acc);
            ref T xs = ref MemoryMarshal.GetReference(x);
            for (; i <= acc.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                op.Combine(Vector.LoadUnsafe(ref accs, (nuint)i), Vector.LoadUnsafe(ref xs, (nuint)i))
                    .StoreUnsafe(ref accs, (nuint)i);
            }
        }
        for (; i < acc.Length; i++)
        {
            acc[i] = op.Combine(acc[i], x[i]);
        }
    }
}
