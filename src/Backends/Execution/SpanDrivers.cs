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
        int i = 0;
        if (VectorForm.Has<TOp>() && Vector.IsHardwareAccelerated)
        {
            ref T xs = ref MemoryMarshal.GetReference(x);
            ref T ys = ref MemoryMarshal.GetReference(y);
            for (; i <= y.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                op.Apply(Vector.LoadUnsafe(ref xs, (nuint)i)).StoreUnsafe(ref ys, (nuint)i);
            }
        }
        if (VectorForm.Has<TOp>() && Vector.IsHardwareAccelerated && i < y.Length)
        {
            // The ragged end through one padded vector: every element gets the vector form wherever it sits, so a
            // strided row and a contiguous run agree bit for bit.
            Span<T> lanes = stackalloc T[Vector<T>.Count];
            lanes.Fill(x[i]);
            x[i..].CopyTo(lanes);
            op.Apply(new Vector<T>(lanes)).CopyTo(lanes);
            lanes[..(y.Length - i)].CopyTo(y[i..]);
            return;
        }
        for (; i < y.Length; i++)
        {
            y[i] = op.Apply(x[i]);
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
        int i = 0;
        if (VectorForm.Has<TOp>() && Vector.IsHardwareAccelerated)
        {
            ref T av = ref MemoryMarshal.GetReference(a);
            ref T bv = ref MemoryMarshal.GetReference(b);
            ref T cv = ref MemoryMarshal.GetReference(c);
            var (aSplat, bSplat) = (new Vector<T>(a[0]), new Vector<T>(b[0]));
            for (; i <= c.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var u = aOne ? aSplat : Vector.LoadUnsafe(ref av, (nuint)i);
                var v = bOne ? bSplat : Vector.LoadUnsafe(ref bv, (nuint)i);
                op.Apply(u, v).StoreUnsafe(ref cv, (nuint)i);
            }
        }
        if (VectorForm.Has<TOp>() && Vector.IsHardwareAccelerated && i < c.Length)
        {
            // The ragged end through padded vectors, as in Map.
            Span<T> u = stackalloc T[Vector<T>.Count];
            Span<T> v = stackalloc T[Vector<T>.Count];
            u.Fill(a[aOne ? 0 : i]);
            v.Fill(b[bOne ? 0 : i]);
            if (!aOne)
            {
                a[i..].CopyTo(u);
            }
            if (!bOne)
            {
                b[i..].CopyTo(v);
            }
            op.Apply(new Vector<T>(u), new Vector<T>(v)).CopyTo(u);
            u[..(c.Length - i)].CopyTo(c[i..]);
            return;
        }
        for (; i < c.Length; i++)
        {
            c[i] = op.Apply(a[aOne ? 0 : i], b[bOne ? 0 : i]);
        }
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
            result = lanes[0];
            for (int lane = 1; lane < n; lane++)
            {
                result = op.Combine(result, lanes[lane]);
            }
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
