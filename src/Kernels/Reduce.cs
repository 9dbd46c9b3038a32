using System.Numerics;
using ILGPU;

namespace MicrogradPlus.Kernels;

/// <summary>
/// An associative reduction with its identity element. A serial run folds elements into a <see cref="Running{T}"/>
/// (<see cref="Fold"/>, then <see cref="Finish"/>), which lets a sum carry its rounding errors along (a thread of a
/// kernel may fold a million elements); partial results meet through <see cref="ICombineOp{T}.Combine"/>. The host executor
/// combines vector lanes (<see cref="IVectorized"/> operators) and keeps its runs short by pairwise splitting.
/// </summary>
internal interface IReduceOp<T> : ICombineOp<T> where T : unmanaged
{
    /// <summary>The value an empty reduction yields.</summary>
    T Identity { get; }

    /// <summary>Combines two vectors of partial results lane by lane (for <see cref="IVectorized"/> operators).</summary>
    Vector<T> Combine(Vector<T> a, Vector<T> b) => throw VectorForm.Missing(GetType());

    /// <summary>Folds <paramref name="x"/> into a serial run's result.</summary>
    Running<T> Fold(Running<T> run, T x);

    /// <summary>A serial run's result.</summary>
    T Finish(Running<T> run);
}

/// <summary>Combines two partial results: all that a shared-memory tree (<see cref="GroupTree"/>) needs.</summary>
internal interface ICombineOp<T>
{
    /// <summary>The combination of two partial results.</summary>
    T Combine(T a, T b);
}

/// <summary>A serial run's result so far and, for sums, the rounding error still to take back (else unused).</summary>
internal struct Running<T>(T value, T carry) where T : unmanaged
{
    /// <summary>The plain running result.</summary>
    public T Value = value;

    /// <summary>The rounding error of the last addition, taken back by the next (sums only).</summary>
    public T Carry = carry;
}

#pragma warning disable CS1591
/// <summary>
/// Σ, identity 0. A serial run is compensated (Kahan): the rounding error of each addition, exact in floating point,
/// is carried into the next one, so a run of a million 0.1s is off by an ulp or two rather than by 1 %. Where the
/// sum is not finite the carry is dropped (an infinity's "error" is NaN and would poison what follows).
/// </summary>
internal struct SumReduce : IReduceOp<float>, IReduceOp<double>, IVectorized
{
    readonly float IReduceOp<float>.Identity => 0f;
    readonly double IReduceOp<double>.Identity => 0d;
    public readonly float Combine(float a, float b) => a + b;
    public readonly double Combine(double a, double b) => a + b;
    public readonly Vector<float> Combine(Vector<float> a, Vector<float> b) => a + b;
    public readonly Vector<double> Combine(Vector<double> a, Vector<double> b) => a + b;

    // v − v is 0 exactly when v is finite.
    public readonly Running<float> Fold(Running<float> run, float x)
    {
        float corrected = x - run.Carry;
        float sum = run.Value + corrected;
        return new(sum, sum - sum == 0f ? sum - run.Value - corrected : 0f);
    }

    public readonly Running<double> Fold(Running<double> run, double x)
    {
        double corrected = x - run.Carry;
        double sum = run.Value + corrected;
        return new(sum, sum - sum == 0d ? sum - run.Value - corrected : 0d);
    }

    public readonly float Finish(Running<float> run) => run.Value - run.Value == 0f ? run.Value - run.Carry : run.Value;
    public readonly double Finish(Running<double> run) =>
        run.Value - run.Value == 0d ? run.Value - run.Carry : run.Value;
}

/// <summary>max, identity −∞, NaN-propagating.</summary>
internal struct MaxReduce : IReduceOp<float>, IReduceOp<double>, IVectorized
{
    readonly float IReduceOp<float>.Identity => float.NegativeInfinity;
    readonly double IReduceOp<double>.Identity => double.NegativeInfinity;
    public readonly float Combine(float a, float b) => DeviceMath.Max(a, b);
    public readonly double Combine(double a, double b) => DeviceMath.Max(a, b);
    public readonly Vector<float> Combine(Vector<float> a, Vector<float> b) => Vector.Max(a, b);
    public readonly Vector<double> Combine(Vector<double> a, Vector<double> b) => Vector.Max(a, b);
    public readonly Running<float> Fold(Running<float> run, float x) => new(DeviceMath.Max(run.Value, x), 0f);
    public readonly Running<double> Fold(Running<double> run, double x) => new(DeviceMath.Max(run.Value, x), 0d);
    public readonly float Finish(Running<float> run) => run.Value;
    public readonly double Finish(Running<double> run) => run.Value;
}

/// <summary>min, identity +∞, NaN-propagating.</summary>
internal struct MinReduce : IReduceOp<float>, IReduceOp<double>, IVectorized
{
    readonly float IReduceOp<float>.Identity => float.PositiveInfinity;
    readonly double IReduceOp<double>.Identity => double.PositiveInfinity;
    public readonly float Combine(float a, float b) => DeviceMath.Min(a, b);
    public readonly double Combine(double a, double b) => DeviceMath.Min(a, b);
    public readonly Vector<float> Combine(Vector<float> a, Vector<float> b) => Vector.Min(a, b);
    public readonly Vector<double> Combine(Vector<double> a, Vector<double> b) => Vector.Min(a, b);
    public readonly Running<float> Fold(Running<float> run, float x) => new(DeviceMath.Min(run.Value, x), 0f);
    public readonly Running<double> Fold(Running<double> run, double x) => new(DeviceMath.Min(run.Value, x), 0d);
    public readonly float Finish(Running<float> run) => run.Value;
    public readonly double Finish(Running<double> run) => run.Value;
}

/// <summary>Π, identity 1.</summary>
internal struct ProdReduce : IReduceOp<float>, IReduceOp<double>, IVectorized
{
    readonly float IReduceOp<float>.Identity => 1f;
    readonly double IReduceOp<double>.Identity => 1d;
    public readonly float Combine(float a, float b) => a * b;
    public readonly double Combine(double a, double b) => a * b;
    public readonly Vector<float> Combine(Vector<float> a, Vector<float> b) => a * b;
    public readonly Vector<double> Combine(Vector<double> a, Vector<double> b) => a * b;
    public readonly Running<float> Fold(Running<float> run, float x) => new(run.Value * x, 0f);
    public readonly Running<double> Fold(Running<double> run, double x) => new(run.Value * x, 0d);
    public readonly float Finish(Running<float> run) => run.Value;
    public readonly double Finish(Running<double> run) => run.Value;
}
#pragma warning restore CS1591

/// <summary>
/// The geometry of a reduction: <c>Outer</c> maps an output index to the offset of its first input element (over the
/// kept dimensions), <c>Inner</c> maps a position inside the reduced block to a relative offset (over the reduced
/// dimensions, offset 0).
/// </summary>
internal struct ReduceShape
{
    /// <summary>Output index → input offset.</summary>
    public Layout Outer;
    /// <summary>Position in the reduced block → relative input offset.</summary>
    public Layout Inner;
    /// <summary>Number of outputs.</summary>
    public int OuterCount;
    /// <summary>Number of inputs reduced into each output.</summary>
    public int InnerCount;
}

/// <summary>
/// One output per element: a serial loop over its reduced block, times <c>scale</c> (1, or 1/n for a mean). Best when
/// there are many outputs. With <paramref name="splits"/> &gt; 1 each block is cut into that many consecutive parts
/// and index p·outputs + o sums part p of output o, so a few long reductions (over a leading axis of a wide matrix)
/// still occupy many threads while neighbouring threads keep reading neighbouring addresses; a second pass reduces
/// the [splits, outputs] partials.
/// </summary>
internal struct ReduceRowsBody<T, TOp>(ArrayView<T> x, ArrayView<T> y, ReduceShape shape, T scale, TOp op,
    int splits = 1) : IElementBody
    where T : unmanaged, INumber<T>
    where TOp : struct, IReduceOp<T>
{
    private readonly ArrayView<T> _x = x, _y = y;
    private readonly ReduceShape _shape = shape;
    private readonly T _scale = scale;
    private readonly TOp _op = op;
    private readonly int _part = (shape.InnerCount + splits - 1) / Math.Max(1, splits);

    /// <inheritdoc/>
    public readonly void Execute(int index)
    {
        int output = index % _shape.OuterCount;
        int first = index / _shape.OuterCount * _part;
        int end = Math.Min(_shape.InnerCount, first + _part);
        int start = _shape.Outer.OffsetOf(output);
        var run = new Running<T>(_op.Identity, T.Zero);
        int j = first;
        // Four loads in flight (see FourLoads), folded in the plain loop's order below: the same result bit for bit.
        for (; j + 3 < end; j += 4)
        {
            var v = FourLoads.At(_x, start, _shape.Inner, j, 1);
            run = _op.Fold(_op.Fold(_op.Fold(_op.Fold(run, v.X0), v.X1), v.X2), v.X3);
        }
        for (; j < end; j++)
        {
            run = _op.Fold(run, _x[start + _shape.Inner.OffsetOf(j)]);
        }
        _y[index] = _op.Finish(run) * _scale;
    }
}

/// <summary>
/// argmax / argmin over a reduced block (<c>Sign</c> = 1 for max, −1 for min): the first index of the extreme value,
/// NaN counting as the extreme, as in PyTorch.
/// </summary>
internal struct ArgReduceBody<T>(ArrayView<T> x, ArrayView<int> y, ReduceShape shape, T sign) : IElementBody
    where T : unmanaged, INumber<T>
{
    private readonly ArrayView<T> _x = x;
    private readonly ArrayView<int> _y = y;
    private readonly ReduceShape _shape = shape;
    private readonly T _sign = sign;

    /// <inheritdoc/>
    public readonly void Execute(int index)
    {
        int start = _shape.Outer.OffsetOf(index);
        T best = _sign * _x[start + _shape.Inner.OffsetOf(0)];
        int bestIndex = 0;
        for (int j = 1; j < _shape.InnerCount && !IsNaN(best); j++)
        {
            T v = _sign * _x[start + _shape.Inner.OffsetOf(j)];
            if (IsNaN(v) || v > best)
            {
                best = v;
                bestIndex = j;
            }
        }
        _y[index] = bestIndex;
    }

    // x != x is the NaN test that compiles on every accelerator (T.IsNaN is a static interface call). It comes first
    // in the condition above: ILGPU 1.5.3 can rewrite `v > best || NaN(v)` so that a NaN never wins (DeviceMath.Max).
#pragma warning disable CS1718
    private static bool IsNaN(T x) => x != x;
#pragma warning restore CS1718
}

/// <summary>Reduction kernels that need a whole thread group per output.</summary>
internal static class ReduceKernels
{
    /// <summary>The largest group the tree reduction supports (the size of its shared array).</summary>
    public const int MaxGroupSize = 1024;

    /// <summary>
    /// One group per output (grid-stride over outputs): each thread folds a strided part of the block, then a shared-
    /// memory tree combines the partials. Best for few, long reductions. With <paramref name="splits"/> &gt; 1 each
    /// block is cut into that many contiguous parts and output o·splits + p receives part p's partial result, so a
    /// single long reduction (a full sum) still fills every multiprocessor; a second, short reduction combines the
    /// parts. The group size must be a power of two; the tree is fixed, so results are reproducible run to run (no
    /// atomics).
    /// </summary>
    public static void ReduceGroups<T, TOp>(ArrayView<T> x, ArrayView<T> y, ReduceShape shape, T scale, int splits,
        TOp op)
        where T : unmanaged, INumber<T>
        where TOp : struct, IReduceOp<T>
    {
        var partial = SharedMemory.Allocate<T>(MaxGroupSize);
        int thread = Group.IdxX;
        int groupSize = Group.DimX;
        int groups = Grid.DimX;
        int outputs = shape.OuterCount * splits;
        int part = (shape.InnerCount + splits - 1) / splits;
        for (int o = Grid.IdxX; o < outputs; o += groups)
        {
            int start = shape.Outer.OffsetOf(o / splits);
            int first = (o % splits) * part;
            int end = Math.Min(shape.InnerCount, first + part);
            var run = new Running<T>(op.Identity, T.Zero);
            int j = first + thread;
            // Four loads in flight per thread (see FourLoads), folded in the order of the plain loop below.
            for (; j + 3 * groupSize < end; j += 4 * groupSize)
            {
                var v = FourLoads.At(x, start, shape.Inner, j, groupSize);
                run = op.Fold(op.Fold(op.Fold(op.Fold(run, v.X0), v.X1), v.X2), v.X3);
            }
            for (; j < end; j += groupSize)
            {
                run = op.Fold(run, x[start + shape.Inner.OffsetOf(j)]);
            }
            T total = GroupTree.Combine(partial, op.Finish(run), op);
            if (thread == 0)
            {
                y[o] = total * scale;
            }
        }
    }
}

/// <summary>Four strided loads issued together.</summary>
internal static class FourLoads
{
    /// <summary>
    /// Elements j, j + step, j + 2·step and j + 3·step of the run at <paramref name="start"/> walked by
    /// <paramref name="inner"/>. The four offsets are computed before any load, so the loads sit together in one basic
    /// block, past the branches of <see cref="Layout.OffsetOf"/>: a GPU thread then has all four in flight instead of
    /// waiting for each in turn (ILGPU places a load next to its use).
    /// </summary>
    public static Vec4<T> At<T>(ArrayView<T> x, int start, Layout inner, int j, int step) where T : unmanaged
    {
        int o0 = start + inner.OffsetOf(j), o1 = start + inner.OffsetOf(j + step);
        int o2 = start + inner.OffsetOf(j + 2 * step), o3 = start + inner.OffsetOf(j + 3 * step);
        return new Vec4<T> { X0 = x[o0], X1 = x[o1], X2 = x[o2], X3 = x[o3] };
    }
}

/// <summary>The shared-memory tree that combines one value per thread of a group.</summary>
internal static class GroupTree
{
    /// <summary>
    /// Combines every thread's <paramref name="value"/> into one result that every thread receives, through
    /// <paramref name="partial"/> (shared memory of at least the group's size, which must be a power of two). The
    /// tree is fixed, so results are reproducible run to run (no atomics). Every thread of the group must call it.
    /// </summary>
    public static T Combine<T, TOp>(ArrayView<T> partial, T value, TOp op)
        where T : unmanaged
        where TOp : struct, ICombineOp<T>
    {
        int thread = Group.IdxX;
        partial[thread] = value;
        Group.Barrier();
        for (int half = Group.DimX / 2; half > 0; half /= 2)
        {
            if (thread < half)
            {
                partial[thread] = op.Combine(partial[thread], partial[thread + half]);
            }
            Group.Barrier();
        }
        T result = partial[0];
        Group.Barrier(); // everyone has read the result before the next call overwrites it
        return result;
    }
}
