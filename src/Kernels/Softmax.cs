using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU;

namespace MicrogradPlus.Kernels;

/// <summary>
/// Softmax forward, one thread per row (the elements along the axis; <c>xShape.Outer</c> maps a row to its first
/// element, <c>xShape.Inner</c> steps along it): one read of the row forms m = max x and s = Σ e^(x − m) together
/// (<see cref="SoftmaxMath{TLane, T, TMath}.Step"/>), a second writes yⱼ = e^(xⱼ − m) · (1/s), or (xⱼ − m) − ln s
/// for log-softmax (<paramref name="log"/>). Shifting by m keeps every exponent ≤ 0: nothing overflows. y has x's
/// shape, contiguous (<paramref name="yShape"/> is its geometry). Suits short rows, or rows whose neighbours are
/// neighbours in memory; <see cref="SoftmaxKernels.Groups{T, TMath}"/> takes long ones.
/// </summary>
internal struct SoftmaxRowsBody<T, TMath>(ArrayView<T> x, ReduceShape xShape, ArrayView<T> y, ReduceShape yShape,
    bool log) : IElementBody
    where T : unmanaged, INumber<T>
    where TMath : struct, ILossMath<T>
{
    private readonly ArrayView<T> _x = x, _y = y;
    private readonly ReduceShape _xShape = xShape, _yShape = yShape;
    private readonly int _log = log ? 1 : 0; // kernel parameters must be blittable: no bool

    /// <inheritdoc/>
    public readonly void Execute(int index)
    {
        int xs = _xShape.Outer.OffsetOf(index), ys = _yShape.Outer.OffsetOf(index), count = _xShape.InnerCount;
        var row = SoftmaxKernels.PartialMaxSum<T, TMath>(_x, xs, _xShape.Inner, count, 0, 1);
        T shift = SoftmaxMath<T, T, TMath>.Shift(row.Sum, _log);
        for (int j = 0; j < count; j++)
        {
            _y[ys + _yShape.Inner.OffsetOf(j)] =
                SoftmaxMath<T, T, TMath>.Output(_x[xs + _xShape.Inner.OffsetOf(j)], row.Max, shift, _log);
        }
    }
}

/// <summary>
/// Softmax backward, one thread per row, from the forward's output y (contiguous; <paramref name="shape"/> is its
/// geometry and dx's) and the incoming gradient g (any strides, <paramref name="gShape"/>): softmax
/// dxⱼ = yⱼ · (gⱼ − Σₖ gₖyₖ); log-softmax dxⱼ = gⱼ − e^(yⱼ) · Σₖ gₖ.
/// </summary>
internal struct SoftmaxGradRowsBody<T, TMath>(ArrayView<T> y, ArrayView<T> g, ReduceShape gShape, ArrayView<T> dx,
    ReduceShape shape, bool log) : IElementBody
    where T : unmanaged, INumber<T>
    where TMath : struct, ILossMath<T>
{
    private readonly ArrayView<T> _y = y, _g = g, _dx = dx;
    private readonly ReduceShape _gShape = gShape, _shape = shape;
    private readonly int _log = log ? 1 : 0;

    /// <inheritdoc/>
    public readonly void Execute(int index)
    {
        int ys = _shape.Outer.OffsetOf(index), gs = _gShape.Outer.OffsetOf(index), count = _shape.InnerCount;
        T dot = T.Zero;
        for (int j = 0; j < count; j++)
        {
            T g = _g[gs + _gShape.Inner.OffsetOf(j)];
            dot += SoftmaxMath<T, T, TMath>.DotTerm(g, _y[ys + _shape.Inner.OffsetOf(j)], _log);
        }
        for (int j = 0; j < count; j++)
        {
            int at = ys + _shape.Inner.OffsetOf(j);
            _dx[at] = SoftmaxMath<T, T, TMath>.Grad(_g[gs + _gShape.Inner.OffsetOf(j)], _y[at], dot, _log);
        }
    }
}

/// <summary>
/// Softmax kernels with a whole thread group per row (grid-stride over rows), for long rows: the group reads a row
/// together, each thread forms its share's (m, s), and the shares meet in a shared-memory tree
/// (<see cref="GroupTree"/>, <see cref="SoftmaxMath{TLane, T, TMath}.Merge"/>), so each row costs one launch's share
/// instead of a serial walk. The same formulas as the one-thread-per-row bodies.
/// </summary>
internal static class SoftmaxKernels
{
    /// <summary>
    /// Forward, as <see cref="SoftmaxRowsBody{T, TMath}"/> (<paramref name="log"/> ≠ 0: log-softmax): one read of
    /// the row for (m, s), one to write y.
    /// </summary>
    public static void Groups<T, TMath>(ArrayView<T> x, ReduceShape xShape, ArrayView<T> y, ReduceShape yShape,
        int log)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        var partial = SharedMemory.Allocate<MaxSum<T>>(ReduceKernels.MaxGroupSize);
        int thread = Group.IdxX, size = Group.DimX, count = xShape.InnerCount;
        for (int row = Grid.IdxX; row < xShape.OuterCount; row += Grid.DimX)
        {
            int xs = xShape.Outer.OffsetOf(row), ys = yShape.Outer.OffsetOf(row);
            var stats = RowMaxSum<T, TMath>(partial, x, xs, xShape.Inner, count);
            T shift = SoftmaxMath<T, T, TMath>.Shift(stats.Sum, log);
            for (int j = thread; j < count; j += size)
            {
                y[ys + yShape.Inner.OffsetOf(j)] =
                    SoftmaxMath<T, T, TMath>.Output(x[xs + xShape.Inner.OffsetOf(j)], stats.Max, shift, log);
            }
        }
    }

    /// <summary>
    /// The row's m = max x (NaN-propagating) and Σ e^(x − m), of the row of <paramref name="count"/> elements at
    /// <paramref name="start"/> (<paramref name="inner"/> steps along it), formed by the whole group in one read;
    /// every thread receives them. Every thread of the group must call it.
    /// </summary>
    public static MaxSum<T> RowMaxSum<T, TMath>(ArrayView<MaxSum<T>> partial, ArrayView<T> x, int start,
        Layout inner, int count)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        var share = PartialMaxSum<T, TMath>(x, start, inner, count, Group.IdxX, Group.DimX);
        return GroupTree.Combine(partial, share, new MaxSumMerge<T, TMath>());
    }

    /// <summary>Backward, as <see cref="SoftmaxGradRowsBody{T, TMath}"/>.</summary>
    public static void GradGroups<T, TMath>(ArrayView<T> y, ArrayView<T> g, ReduceShape gShape, ArrayView<T> dx,
        ReduceShape shape, int log)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        var partial = SharedMemory.Allocate<T>(ReduceKernels.MaxGroupSize);
        int thread = Group.IdxX, size = Group.DimX, count = shape.InnerCount;
        for (int row = Grid.IdxX; row < shape.OuterCount; row += Grid.DimX)
        {
            int ys = shape.Outer.OffsetOf(row), gs = gShape.Outer.OffsetOf(row);
            T dot = T.Zero;
            for (int j = thread; j < count; j += size)
            {
                T gj = g[gs + gShape.Inner.OffsetOf(j)];
                dot += SoftmaxMath<T, T, TMath>.DotTerm(gj, y[ys + shape.Inner.OffsetOf(j)], log);
            }
            dot = GroupTree.Combine(partial, dot, new LossSum<T>());
            for (int j = thread; j < count; j += size)
            {
                int at = ys + shape.Inner.OffsetOf(j);
                dx[at] = SoftmaxMath<T, T, TMath>.Grad(g[gs + gShape.Inner.OffsetOf(j)], y[at], dot, log);
            }
        }
    }

    /// <summary>
    /// (m, s) of the row's elements first, first + step, … (a thread's share; step 1 for a whole row), in one read
    /// with four loads in flight (<see cref="FourLoads"/>); a share without elements is
    /// <see cref="SoftmaxMath{TLane, T, TMath}.Start"/>.
    /// </summary>
    public static MaxSum<T> PartialMaxSum<T, TMath>(ArrayView<T> x, int start, Layout inner, int count, int first,
        int step)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        var stats = SoftmaxMath<T, T, TMath>.Start();
        int j = first;
        for (; j + 3 * step < count; j += 4 * step)
        {
            var v = FourLoads.At(x, start, inner, j, step);
            stats = SoftmaxMath<T, T, TMath>.Step(stats, v.X0);
            stats = SoftmaxMath<T, T, TMath>.Step(stats, v.X1);
            stats = SoftmaxMath<T, T, TMath>.Step(stats, v.X2);
            stats = SoftmaxMath<T, T, TMath>.Step(stats, v.X3);
        }
        for (; j < count; j += step)
        {
            stats = SoftmaxMath<T, T, TMath>.Step(stats, x[start + inner.OffsetOf(j)]);
        }
        return stats;
    }
}

/// <summary>A row's running maximum m and Σ e^(x − m) over the elements seen so far: online softmax's state.</summary>
internal struct MaxSum<TLane>(TLane max, TLane sum)
{
    /// <summary>m: the largest element seen (NaN once a NaN was seen).</summary>
    public TLane Max = max;

    /// <summary>Σ e^(x − m) over the elements seen.</summary>
    public TLane Sum = sum;
}

/// <summary><see cref="SoftmaxMath{TLane, T, TMath}.Merge"/> for <see cref="GroupTree"/>.</summary>
internal readonly struct MaxSumMerge<T, TMath> : ICombineOp<MaxSum<T>>
    where T : INumberBase<T>
    where TMath : struct, ILossMath<T>
{
    public MaxSum<T> Combine(MaxSum<T> a, MaxSum<T> b) => SoftmaxMath<T, T, TMath>.Merge(a, b);
}

/// <summary>
/// Softmax's arithmetic, once, over a lane type (<see cref="ILaneMath{TLane, T}"/>): scalars in every kernel shape
/// (a thread per row, a group per row; TLane = T), <see cref="Vector{T}"/> lanes in the CPU device's loops (log ≠ 0:
/// log-softmax). For a row: m = max x and s = Σ e^(x − m), formed in one read (Milakov and Gimelshein, "Online
/// normalizer calculation for softmax", 2018: when m grows, the sum so far is rescaled by e^(m_old − m_new)), then
/// yⱼ = e^(xⱼ − m) · (1/s), or (xⱼ − m) − ln s. As in PyTorch, a row holding +∞ or NaN gives NaN everywhere, and so
/// does a row of −∞ only (its m stays at <see cref="ILaneMath{TLane, T}.Lowest"/> and s at 0).
/// </summary>
internal static class SoftmaxMath<TLane, T, TMath>
    where TLane : IAdditionOperators<TLane, TLane, TLane>, ISubtractionOperators<TLane, TLane, TLane>,
        IMultiplyOperators<TLane, TLane, TLane>, IDivisionOperators<TLane, TLane, TLane>
    where T : INumberBase<T>
    where TMath : struct, ILaneMath<TLane, T>
{
    /// <summary>A step of the row's maximum, NaN-propagating.</summary>
    public static TLane Max(TLane max, TLane x) => default(TMath).Max(max, x);

    /// <summary>e^(x − m): a term of the row's sum, and softmax's output before its scale.</summary>
    public static TLane Exp(TLane x, TLane max) => default(TMath).Exp(x - max);

    /// <summary>The state before the row's first element: m the lowest finite value (−∞ elements then add
    /// e^(−∞) = 0 instead of e^((−∞) − (−∞)) = NaN), s = 0.</summary>
    public static MaxSum<TLane> Start()
    {
        TMath math = default;
        return new(math.Lowest(), math.Of(T.Zero));
    }

    /// <summary>
    /// The state after one more element x, with one exp: e = e^(−|x − m|) is e^(x − m) when x ≤ m (s + e), and the
    /// rescale e^(m − x) of the sum so far when x is the new maximum (s·e + e^(x − x)). That last term is written
    /// (x − x) + 1: 1, but NaN for x = +∞, so that a row holding +∞ gives NaN as PyTorch's does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // the vector exp inside would keep .NET's JIT from inlining it
    public static MaxSum<TLane> Step(MaxSum<TLane> state, TLane x)
    {
        TMath math = default;
        TLane zero = math.Of(T.Zero), d = x - state.Max;
        TLane e = math.Exp(zero - math.Max(d, zero - d));
        return new(math.Max(state.Max, x),
            math.IfPositive(d, state.Sum * e + (x - x + math.Of(T.One)), state.Sum + e));
    }

    /// <summary>
    /// The state of two parts of a row together (threads' shares, vector lanes): the part with the smaller maximum
    /// has its sum rescaled by e^(−|m_a − m_b|), one exp. A part whose maximum is +∞ or NaN carries a NaN sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static MaxSum<TLane> Merge(MaxSum<TLane> a, MaxSum<TLane> b)
    {
        TMath math = default;
        TLane zero = math.Of(T.Zero), d = b.Max - a.Max;
        TLane e = math.Exp(zero - math.Max(d, zero - d));
        return new(math.Max(a.Max, b.Max), math.IfPositive(d, a.Sum * e + b.Sum, a.Sum + b.Sum * e));
    }

    /// <summary>What the outputs are formed with from the row's Σ e^(x − m): ln Σ (log-softmax) or 1/Σ.</summary>
    public static TLane Shift(TLane sum, int log)
    {
        TMath math = default;
        return log != 0 ? math.Log(sum) : math.Of(T.One) / sum;
    }

    /// <summary>One output: (x − m) − ln Σ, or e^(x − m) · (1/Σ).</summary>
    public static TLane Output(TLane x, TLane max, TLane shift, int log) =>
        Output(x, max, log != 0 ? x : Exp(x, max), shift, log);

    /// <summary>
    /// One output from x and its <paramref name="exp"/> = e^(x − m), formed already for the row's sum (the CPU
    /// device's softmax rows, which keep the exponentials of a row in cache).
    /// </summary>
    public static TLane Output(TLane x, TLane max, TLane exp, TLane shift, int log) =>
        log != 0 ? x - max - shift : exp * shift;

    /// <summary>One term of the backward's row sum: g for log-softmax, g·y for softmax.</summary>
    public static TLane DotTerm(TLane g, TLane y, int log) => log != 0 ? g : g * y;

    /// <summary>One gradient element from the row sum: g − eʸ·Σ for log-softmax, y·(g − Σ) for softmax.</summary>
    public static TLane Grad(TLane g, TLane y, TLane dot, int log) =>
        log != 0 ? g - default(TMath).Exp(y) * dot : y * (g - dot);
}
