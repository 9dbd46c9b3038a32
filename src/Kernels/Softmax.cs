using System.Numerics;
using ILGPU;

namespace MicrogradPlus.Kernels;

/// <summary>
/// Softmax forward, one thread per row (the elements along the axis; <c>xShape.Outer</c> maps a row to its first
/// element, <c>xShape.Inner</c> steps along it): m = max x, s = Σ e^(x − m), then yⱼ = e^(xⱼ − m) · (1/s), or
/// (xⱼ − m) − ln s for log-softmax (<paramref name="log"/>). Shifting by m keeps every exponent ≤ 0: nothing
/// overflows. y has x's shape, contiguous (<paramref name="yShape"/> is its geometry). Suits short rows, or rows
/// whose neighbours are neighbours in memory; <see cref="SoftmaxKernels.Groups{T, TMath}"/> takes long ones.
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
        T max = SoftmaxKernels.PartialMax<T, TMath>(_x, xs, _xShape.Inner, count, 0, 1);
        T shift = SoftmaxMath<T, T, TMath>.Shift(
            SoftmaxKernels.PartialSumExp<T, TMath>(_x, xs, _xShape.Inner, count, max, 0, 1), _log);
        for (int j = 0; j < count; j++)
        {
            _y[ys + _yShape.Inner.OffsetOf(j)] =
                SoftmaxMath<T, T, TMath>.Output(_x[xs + _xShape.Inner.OffsetOf(j)], max, shift, _log);
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
/// together and combines its partial maxima and sums in a shared-memory tree (<see cref="GroupTree"/>), so each row
/// costs one launch's share instead of a serial walk. The same formulas as the one-thread-per-row bodies.
/// </summary>
internal static class SoftmaxKernels
{
    /// <summary>
    /// Forward, as <see cref="SoftmaxRowsBody{T, TMath}"/> (<paramref name="log"/> ≠ 0: log-softmax).
    /// </summary>
    public static void Groups<T, TMath>(ArrayView<T> x, ReduceShape xShape, ArrayView<T> y, ReduceShape yShape,
        int log)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        var partial = SharedMemory.Allocate<T>(ReduceKernels.MaxGroupSize);
        int thread = Group.IdxX, size = Group.DimX, count = xShape.InnerCount;
        for (int row = Grid.IdxX; row < xShape.OuterCount; row += Grid.DimX)
        {
            int xs = xShape.Outer.OffsetOf(row), ys = yShape.Outer.OffsetOf(row);
            T max = RowMax<T, TMath>(partial, x, xs, xShape.Inner, count);
            T shift = SoftmaxMath<T, T, TMath>.Shift(RowSumExp<T, TMath>(partial, x, xs, xShape.Inner, count, max),
                log);
            for (int j = thread; j < count; j += size)
            {
                y[ys + yShape.Inner.OffsetOf(j)] =
                    SoftmaxMath<T, T, TMath>.Output(x[xs + xShape.Inner.OffsetOf(j)], max, shift, log);
            }
        }
    }

    /// <summary>
    /// The maximum of the row of <paramref name="count"/> elements at <paramref name="start"/>
    /// (<paramref name="inner"/> steps along it), NaN-propagating, computed by the whole group; every thread receives
    /// it. Every thread of the group must call it.
    /// </summary>
    public static T RowMax<T, TMath>(ArrayView<T> partial, ArrayView<T> x, int start, Layout inner, int count)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        T max = PartialMax<T, TMath>(x, start, inner, count, Group.IdxX, Group.DimX);
        return GroupTree.Combine(partial, max, new LossMax<T, TMath>());
    }

    /// <summary>Σ e^(x − <paramref name="max"/>) over the row, as <see cref="RowMax{T, TMath}"/>; both keep four loads
    /// in flight per thread (<see cref="FourLoads"/>).</summary>
    public static T RowSumExp<T, TMath>(ArrayView<T> partial, ArrayView<T> x, int start, Layout inner, int count,
        T max)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        T sum = PartialSumExp<T, TMath>(x, start, inner, count, max, Group.IdxX, Group.DimX);
        return GroupTree.Combine(partial, sum, new LossSum<T>());
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
    /// The maximum of the row's elements first, first + step, … (a thread's share; step 1 for a whole row), and of
    /// its element 0, NaN-propagating (every share starts from element 0: max is idempotent); four loads in flight
    /// (<see cref="FourLoads"/>).
    /// </summary>
    public static T PartialMax<T, TMath>(ArrayView<T> x, int start, Layout inner, int count, int first, int step)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        T max = x[start];
        int j = first;
        for (; j + 3 * step < count; j += 4 * step)
        {
            var v = FourLoads.At(x, start, inner, j, step);
            max = SoftmaxMath<T, T, TMath>.Max(max, v.X0);
            max = SoftmaxMath<T, T, TMath>.Max(max, v.X1);
            max = SoftmaxMath<T, T, TMath>.Max(max, v.X2);
            max = SoftmaxMath<T, T, TMath>.Max(max, v.X3);
        }
        for (; j < count; j += step)
        {
            max = SoftmaxMath<T, T, TMath>.Max(max, x[start + inner.OffsetOf(j)]);
        }
        return max;
    }

    /// <summary>Σ e^(x − <paramref name="max"/>) over the row's elements first, first + step, …, as
    /// <see cref="PartialMax{T, TMath}"/>.</summary>
    public static T PartialSumExp<T, TMath>(ArrayView<T> x, int start, Layout inner, int count, T max, int first,
        int step)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        T sum = T.Zero;
        int j = first;
        for (; j + 3 * step < count; j += 4 * step)
        {
            var v = FourLoads.At(x, start, inner, j, step);
            sum += SoftmaxMath<T, T, TMath>.Exp(v.X0, max);
            sum += SoftmaxMath<T, T, TMath>.Exp(v.X1, max);
            sum += SoftmaxMath<T, T, TMath>.Exp(v.X2, max);
            sum += SoftmaxMath<T, T, TMath>.Exp(v.X3, max);
        }
        for (; j < count; j += step)
        {
            sum += SoftmaxMath<T, T, TMath>.Exp(x[start + inner.OffsetOf(j)], max);
        }
        return sum;
    }
}

/// <summary>
/// Softmax's arithmetic, once, over a lane type (<see cref="ILaneMath{TLane, T}"/>): scalars in every kernel shape
/// (a thread per row, a group per row; TLane = T), <see cref="Vector{T}"/> lanes in the CPU device's loops (log ≠ 0:
/// log-softmax). For a row: m = max x, s = Σ e^(x − m), then yⱼ = e^(xⱼ − m) · (1/s), or (xⱼ − m) − ln s.
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
    /// One output from x and its <paramref name="exp"/> = e^(x − m), formed already for the row's sum.
    /// </summary>
    public static TLane Output(TLane x, TLane max, TLane exp, TLane shift, int log) =>
        log != 0 ? x - max - shift : exp * shift;

    /// <summary>One term of the backward's row sum: g for log-softmax, g·y for softmax.</summary>
    public static TLane DotTerm(TLane g, TLane y, int log) => log != 0 ? g : g * y;

    /// <summary>One gradient element from the row sum: g − eʸ·Σ for log-softmax, y·(g − Σ) for softmax.</summary>
    public static TLane Grad(TLane g, TLane y, TLane dot, int log) =>
        log != 0 ? g - default(TMath).Exp(y) * dot : y * (g - dot);
}
