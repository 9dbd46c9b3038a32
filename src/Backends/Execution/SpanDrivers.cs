using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

/// <summary>
/// The host executor's generic loops over spans: each runs an operator's vector form over whole
/// <see cref="Vector{T}"/>s where the operator has one (<see cref="VectorForm.Has{TOp}"/>, a constant for the JIT)
/// and its scalar form over the rest. No operator is named here: a new operator gets the vector loop by writing its
/// vector form.
/// </summary>
internal static partial class SpanDrivers
{
    /// <summary>
    /// y = op(x); y may be x. With <paramref name="stream"/> (the whole output outgrows the caches: see
    /// <see cref="HostPolicy.Streams{T}"/>) stores bypass the caches.
    /// </summary>
    public static void Map<T, TOp>(ReadOnlySpan<T> x, Span<T> y, TOp op, bool stream = false)
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
        int n = Vector<T>.Count, i = stream ? MapStreaming(x, y, op) : 0;
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
    /// (a broadcast operand); c may be a or b. <paramref name="stream"/> as for <see cref="Map{T, TOp}"/>.
    /// </summary>
    public static void Zip<T, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, TOp op, bool stream = false)
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
        int i = aOne && bOne ? ZipVectors(new Splat<T>(a[0]), new Splat<T>(b[0]), c, op, stream)
            : aOne ? ZipVectors(new Splat<T>(a[0]), new Run<T>(b), c, op, stream)
            : bOne ? ZipVectors(new Run<T>(a), new Splat<T>(b[0]), c, op, stream)
            : ZipVectors(new Run<T>(a), new Run<T>(b), c, op, stream);
        if (i < c.Length)
        {
            ZipTail(aOne ? a : a[i..], bOne ? b : b[i..], c[i..], op);
        }
    }

    /// <summary>c = op(a, b) over the whole vectors of c; returns where the ragged end starts.</summary>
    private static int ZipVectors<T, TOp, TA, TB>(TA a, TB b, Span<T> c, TOp op, bool stream)
        where T : unmanaged
        where TOp : struct, IBinaryOp<T>
        where TA : struct, IOperand<T>, allows ref struct
        where TB : struct, IOperand<T>, allows ref struct
    {
        ref T cs = ref MemoryMarshal.GetReference(c);
        // Unsigned native indices, so every load and store folds its offset into one address.
        nuint n = (nuint)Vector<T>.Count, length = (nuint)c.Length;
        nuint i = stream ? (nuint)ZipStreaming(a, b, c, op) : 0;
        for (; i + 4 * n <= length; i += 4 * n)
        {
            var r0 = op.Apply(a.At(i), b.At(i));
            var r1 = op.Apply(a.At(i + n), b.At(i + n));
            var r2 = op.Apply(a.At(i + 2 * n), b.At(i + 2 * n));
            var r3 = op.Apply(a.At(i + 3 * n), b.At(i + 3 * n));
            r0.StoreUnsafe(ref cs, i);
            r1.StoreUnsafe(ref cs, i + n);
            r2.StoreUnsafe(ref cs, i + 2 * n);
            r3.StoreUnsafe(ref cs, i + 3 * n);
        }
        for (; i + n <= length; i += n)
        {
            op.Apply(a.At(i), b.At(i)).StoreUnsafe(ref cs, i);
        }
        return (int)i;
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
        Vector<T> At(nuint i);
    }

    /// <summary>An operand that holds the row.</summary>
    private readonly ref struct Run<T>(ReadOnlySpan<T> values) : IOperand<T> where T : unmanaged
    {
        private readonly ReadOnlySpan<T> _values = values;

        public Vector<T> At(nuint i) => Vector.LoadUnsafe(ref MemoryMarshal.GetReference(_values), i);
    }

    /// <summary>An operand broadcast along the row: one value in every lane.</summary>
    private readonly struct Splat<T>(T value) : IOperand<T> where T : unmanaged
    {
        private readonly Vector<T> _value = new(value);

        public Vector<T> At(nuint i) => _value;
    }

    /// <summary>
    /// The reduction of a non-empty run, pairwise: runs of up to <see cref="HostPolicy.PairwiseBlock"/> elements
    /// fold into four vectors of lanes (or serially, compensated, for operators without a vector form), and blocks
    /// combine as a tree, so a sum's rounding error grows with the logarithm of the length, not the length.
    /// </summary>
    public static T Reduce<T, TOp>(ReadOnlySpan<T> x, TOp op)
        where T : unmanaged
        where TOp : struct, IReduceOp<T>
    {
        if (x.Length <= HostPolicy.PairwiseBlock)
        {
            return ReduceBlock(x, op);
        }
        return VectorForm.Has<TOp>() && Vector.IsHardwareAccelerated ? ReduceVectors(x, op) : ReduceHalves(x, op);
    }

    // Without a vector form: halves of the run, recursively, down to serial blocks.
    private static T ReduceHalves<T, TOp>(ReadOnlySpan<T> x, TOp op)
        where T : unmanaged
        where TOp : struct, IReduceOp<T>
    {
        if (x.Length <= HostPolicy.PairwiseBlock)
        {
            return ReduceBlock(x, op);
        }
        int half = x.Length / 2;
        return op.Combine(ReduceHalves(x[..half], op), ReduceHalves(x[half..], op));
    }

    /// <summary>
    /// The tree over whole blocks kept in vectors: each block folds into one vector of lanes, which merges, as a
    /// binary counter does, with the partial of as many blocks as it stands for while there is one (the earlier
    /// partial absorbing the later, as the halves of a recursion would). Lanes are combined once, at the end, and
    /// the loop makes no call and no halving per block.
    /// </summary>
    private static T ReduceVectors<T, TOp>(ReadOnlySpan<T> x, TOp op)
        where T : unmanaged
        where TOp : struct, IReduceOp<T>
    {
        const int block = HostPolicy.PairwiseBlock;
        ref T xs = ref MemoryMarshal.GetReference(x);
        int blocks = x.Length / block;
        Span<Vector<T>> level = stackalloc Vector<T>[32 - BitOperations.LeadingZeroCount((uint)blocks)];
        for (int k = 0; k < blocks; k++)
        {
            var partial = FoldVectors(ref xs, k * block, block / Vector<T>.Count, op);
            int l = 0;
            for (int carry = k; (carry & 1) != 0; carry >>= 1, l++)
            {
                partial = op.Combine(level[l], partial);
            }
            level[l] = partial;
        }
        // What is left: partials of decreasing size (the highest level holds the earliest blocks), then the short end.
        var identity = new Vector<T>(op.Identity);
        var total = identity;
        bool started = false;
        for (int l = level.Length - 1; l >= 0; l--)
        {
            if ((blocks >> l & 1) != 0)
            {
                total = started ? op.Combine(total, level[l]) : level[l];
                started = true;
            }
        }
        int done = blocks * block, vectors = (x.Length - done) / Vector<T>.Count;
        if (vectors > 0)
        {
            total = op.Combine(total, FoldVectors(ref xs, done, vectors, op));
            done += vectors * Vector<T>.Count;
        }
        var result = Lanes(total, op);
        if (done < x.Length)
        {
            var run = new Running<T>(op.Identity, default);
            for (int i = done; i < x.Length; i++)
            {
                run = op.Fold(run, x[i]);
            }
            result = op.Combine(result, op.Finish(run));
        }
        return result;
    }

    // The vectors of lanes of a block folded into one: four accumulators, combined as a tree.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> FoldVectors<T, TOp>(ref T xs, int start, int vectors, TOp op)
        where T : unmanaged
        where TOp : struct, IReduceOp<T>
    {
        int n = Vector<T>.Count, i = start, end = start + vectors * n;
        var identity = new Vector<T>(op.Identity);
        var (v0, v1, v2, v3) = (identity, identity, identity, identity);
        for (; i <= end - 4 * n; i += 4 * n)
        {
            v0 = op.Combine(v0, Vector.LoadUnsafe(ref xs, (nuint)i));
            v1 = op.Combine(v1, Vector.LoadUnsafe(ref xs, (nuint)(i + n)));
            v2 = op.Combine(v2, Vector.LoadUnsafe(ref xs, (nuint)(i + 2 * n)));
            v3 = op.Combine(v3, Vector.LoadUnsafe(ref xs, (nuint)(i + 3 * n)));
        }
        for (; i < end; i += n)
        {
            v0 = op.Combine(v0, Vector.LoadUnsafe(ref xs, (nuint)i));
        }
        return op.Combine(op.Combine(v0, v1), op.Combine(v2, v3));
    }

    /// <summary>
    /// y[o] = op over the run of <paramref name="length"/> elements at <paramref name="start"/> + o·<paramref
    /// name="stride"/>, times <paramref name="scale"/>, for every o (a reduction over the last axis): a run that fits
    /// one pairwise block is folded right here, so many short runs cost no call or halving each.
    /// </summary>
    public static void ReduceRuns<T, TOp>(ReadOnlySpan<T> x, int start, int stride, int length, Span<T> y, T scale,
        TOp op)
        where T : unmanaged, INumber<T>
        where TOp : struct, IReduceOp<T>
    {
        for (int o = 0; o < y.Length; o++)
        {
            var run = x.Slice(start + o * stride, length);
            y[o] = (length <= HostPolicy.PairwiseBlock ? FoldBlock(run, op) : Reduce(run, op)) * scale;
        }
    }

    // A call of its own inside the recursion, whose frames then stay small; inlined into the loop over short runs.
    private static T ReduceBlock<T, TOp>(ReadOnlySpan<T> x, TOp op)
        where T : unmanaged
        where TOp : struct, IReduceOp<T> => FoldBlock(x, op);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T FoldBlock<T, TOp>(ReadOnlySpan<T> x, TOp op)
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
    /// The lanes of <paramref name="v"/> combined as a tree, lane i with lane i + 4, then i + 2, then i + 1: three
    /// dependent steps for eight lanes where a serial fold takes seven. With 256-bit float or double vectors each
    /// step is one whole-vector shuffle, since reading lanes out one by one costs more than the fold itself on a short
    /// row; other lane types read them out in the same order (the type tests are constants for the JIT, so only one
    /// branch is compiled).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Lanes<T, TOp>(Vector<T> v, TOp op)
        where T : unmanaged
        where TOp : struct, IReduceOp<T>
    {
        if (Vector<T>.Count == 8 && typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated)
        {
            v = op.Combine(v, Swap(v, Vector256.Create(4, 5, 6, 7, 0, 1, 2, 3)));
            v = op.Combine(v, Swap(v, Vector256.Create(2, 3, 0, 1, 6, 7, 4, 5)));
            return op.Combine(v, Swap(v, Vector256.Create(1, 0, 3, 2, 5, 4, 7, 6)))[0];
        }
        if (Vector<T>.Count == 4 && typeof(T) == typeof(double) && Vector256.IsHardwareAccelerated)
        {
            v = op.Combine(v, Swap(v, Vector256.Create(2L, 3, 0, 1)));
            return op.Combine(v, Swap(v, Vector256.Create(1L, 0, 3, 2)))[0];
        }
        if (Vector<T>.Count == 8)
        {
            return op.Combine(op.Combine(op.Combine(v[0], v[4]), op.Combine(v[2], v[6])),
                op.Combine(op.Combine(v[1], v[5]), op.Combine(v[3], v[7])));
        }
        if (Vector<T>.Count == 4)
        {
            return op.Combine(op.Combine(v[0], v[2]), op.Combine(v[1], v[3]));
        }
        T result = v[0];
        for (int lane = 1; lane < Vector<T>.Count; lane++)
        {
            result = op.Combine(result, v[lane]);
        }
        return result;
    }

    // The lanes of v in the order given (float or double lanes of a 256-bit vector).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> Swap<T>(Vector<T> v, Vector256<int> order) where T : unmanaged =>
        Vector256.Shuffle(v.As<T, float>().AsVector256(), order).AsVector().As<float, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> Swap<T>(Vector<T> v, Vector256<long> order) where T : unmanaged =>
        Vector256.Shuffle(v.As<T, double>().AsVector256(), order).AsVector().As<double, T>();

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
