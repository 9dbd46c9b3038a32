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
public struct SoftmaxRowsBody<T, TMath>(ArrayView<T> x, ReduceShape xShape, ArrayView<T> y, ReduceShape yShape,
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
        TMath math = default;
        int xs = _xShape.Outer.OffsetOf(index), ys = _yShape.Outer.OffsetOf(index), count = _xShape.InnerCount;
        T max = _x[xs];
        for (int j = 1; j < count; j++)
        {
            max = math.Max(max, _x[xs + _xShape.Inner.OffsetOf(j)]);
        }
        T sum = T.Zero;
        for (int j = 0; j < count; j++)
        {
            sum += math.Exp(_x[xs + _xShape.Inner.OffsetOf(j)] - max);
        }
        T shift = _log != 0 ? math.Log(sum) : T.One / sum;
        for (int j = 0; j < count; j++)
        {
            T v = _x[xs + _xShape.Inner.OffsetOf(j)] - max;
            _y[ys + _yShape.Inner.OffsetOf(j)] = _log != 0 ? v - shift : math.Exp(v) * shift;
        }
    }
}

/// <summary>
/// Softmax backward, one thread per row, from the forward's output y (contiguous; <paramref name="shape"/> is its
/// geometry and dx's) and the incoming gradient g (any strides, <paramref name="gShape"/>): softmax
/// dxⱼ = yⱼ · (gⱼ − Σₖ gₖyₖ); log-softmax dxⱼ = gⱼ − e^(yⱼ) · Σₖ gₖ.
/// </summary>
public struct SoftmaxGradRowsBody<T, TMath>(ArrayView<T> y, ArrayView<T> g, ReduceShape gShape, ArrayView<T> dx,
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
        TMath math = default;
        int ys = _shape.Outer.OffsetOf(index), gs = _gShape.Outer.OffsetOf(index), count = _shape.InnerCount;
        T dot = T.Zero;
        for (int j = 0; j < count; j++)
        {
            T gj = _g[gs + _gShape.Inner.OffsetOf(j)];
            dot += _log != 0 ? gj : gj * _y[ys + _shape.Inner.OffsetOf(j)];
        }
        for (int j = 0; j < count; j++)
        {
            int at = ys + _shape.Inner.OffsetOf(j);
            T gj = _g[gs + _gShape.Inner.OffsetOf(j)];
            _dx[at] = _log != 0 ? gj - math.Exp(_y[at]) * dot : _y[at] * (gj - dot);
        }
    }
}

/// <summary>
/// Softmax kernels with a whole thread group per row (grid-stride over rows), for long rows: the group reads a row
/// together and combines its partial maxima and sums in a shared-memory tree (<see cref="GroupTree"/>), so each row
/// costs one launch's share instead of a serial walk. The same formulas as the one-thread-per-row bodies.
/// </summary>
public static class SoftmaxKernels
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
        TMath math = default;
        int thread = Group.IdxX, size = Group.DimX, count = xShape.InnerCount;
        for (int row = Grid.IdxX; row < xShape.OuterCount; row += Grid.DimX)
        {
            int xs = xShape.Outer.OffsetOf(row), ys = yShape.Outer.OffsetOf(row);
            T max = RowMax<T, TMath>(partial, x, xs, xShape.Inner, count);
            T sum = RowSumExp<T, TMath>(partial, x, xs, xShape.Inner, count, max);
            T shift = log != 0 ? math.Log(sum) : T.One / sum;
            for (int j = thread; j < count; j += size)
            {
                T v = x[xs + xShape.Inner.OffsetOf(j)] - max;
                y[ys + yShape.Inner.OffsetOf(j)] = log != 0 ? v - shift : math.Exp(v) * shift;
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
        TMath math = default;
        T max = x[start]; // every thread starts from the row's first value: max is idempotent
        int j = Group.IdxX, step = Group.DimX;
        for (; j + 3 * step < count; j += 4 * step)
        {
            var v = FourLoads.At(x, start, inner, j, step);
            max = math.Max(math.Max(math.Max(math.Max(max, v.X0), v.X1), v.X2), v.X3);
        }
        for (; j < count; j += step)
        {
            max = math.Max(max, x[start + inner.OffsetOf(j)]);
        }
        return GroupTree.Combine(partial, max, new LossMax<T, TMath>());
    }

    /// <summary>Σ e^(x − <paramref name="max"/>) over the row, as <see cref="RowMax{T, TMath}"/>; both keep four loads
    /// in flight per thread (<see cref="FourLoads"/>).</summary>
    public static T RowSumExp<T, TMath>(ArrayView<T> partial, ArrayView<T> x, int start, Layout inner, int count,
        T max)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        TMath math = default;
        T sum = T.Zero;
        int j = Group.IdxX, step = Group.DimX;
        for (; j + 3 * step < count; j += 4 * step)
        {
            var v = FourLoads.At(x, start, inner, j, step);
            sum += math.Exp(v.X0 - max);
            sum += math.Exp(v.X1 - max);
            sum += math.Exp(v.X2 - max);
            sum += math.Exp(v.X3 - max);
        }
        for (; j < count; j += step)
        {
            sum += math.Exp(x[start + inner.OffsetOf(j)] - max);
        }
        return GroupTree.Combine(partial, sum, new LossSum<T>());
    }

    /// <summary>Backward, as <see cref="SoftmaxGradRowsBody{T, TMath}"/>.</summary>
    public static void GradGroups<T, TMath>(ArrayView<T> y, ArrayView<T> g, ReduceShape gShape, ArrayView<T> dx,
        ReduceShape shape, int log)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        var partial = SharedMemory.Allocate<T>(ReduceKernels.MaxGroupSize);
        TMath math = default;
        int thread = Group.IdxX, size = Group.DimX, count = shape.InnerCount;
        for (int row = Grid.IdxX; row < shape.OuterCount; row += Grid.DimX)
        {
            int ys = shape.Outer.OffsetOf(row), gs = gShape.Outer.OffsetOf(row);
            T dot = T.Zero;
            for (int j = thread; j < count; j += size)
            {
                T gj = g[gs + gShape.Inner.OffsetOf(j)];
                dot += log != 0 ? gj : gj * y[ys + shape.Inner.OffsetOf(j)];
            }
            dot = GroupTree.Combine(partial, dot, new LossSum<T>());
            for (int j = thread; j < count; j += size)
            {
                int at = ys + shape.Inner.OffsetOf(j);
                T gj = g[gs + gShape.Inner.OffsetOf(j)];
                dx[at] = log != 0 ? gj - math.Exp(y[at]) * dot : y[at] * (gj - dot);
            }
        }
    }
}
