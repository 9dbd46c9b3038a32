using System.Numerics;
using ILGPU;

namespace MicrogradPlus.Kernels;

/// <summary>Σ, for <see cref="GroupTree"/>.</summary>
internal readonly struct LossSum<T> : ICombineOp<T> where T : INumber<T>
{
    public T Combine(T a, T b) => a + b;
}

/// <summary>
/// Cross-entropy forward, one thread per row of logits x [n, C], in one read of the row: with m = max x and
/// s = ln Σⱼ e^(xⱼ − m) (no overflow; m and the sum formed together by
/// <see cref="SoftmaxMath{TLane, T, TMath}.Step"/>), loss = s − (x[target] − m). Writes the loss and (m, s) per row — stats[2·row], stats[2·row + 1] — for
/// the backward, which forms softmax = e^((x − m) − s) from them: shifting by m first keeps large logits accurate.
/// <paramref name="rows"/> maps a row to the offset of its first logit, <paramref name="colStride"/> steps along it.
/// </summary>
internal struct CrossEntropyRowsBody<T, TMath>(ArrayView<T> x, Layout rows, int classes, int colStride,
    ArrayView<T> targets, ArrayView<T> loss, ArrayView<T> stats) : IElementBody
    where T : unmanaged, INumber<T>
    where TMath : struct, ILossMath<T>
{
    private readonly ArrayView<T> _x = x, _targets = targets, _loss = loss, _stats = stats;
    private readonly Layout _rows = rows;
    private readonly int _classes = classes, _colStride = colStride;

    /// <inheritdoc/>
    public readonly void Execute(int index)
    {
        TMath math = default;
        int row = index;
        int start = _rows.OffsetOf(row);
        var stats = SoftmaxMath<T, T, TMath>.Start();
        for (int j = 0; j < _classes; j++)
        {
            stats = SoftmaxMath<T, T, TMath>.Step(stats, _x[start + j * _colStride]);
        }
        T logSum = math.Log(stats.Sum);
        _stats[2 * row] = stats.Max;
        _stats[2 * row + 1] = logSum;
        _loss[row] = CrossEntropyMath<T, T, TMath>.Loss(_x[start + math.ToIndex(_targets[row]) * _colStride],
            stats.Max, logSum);
    }
}

/// <summary>Cross-entropy kernels with a whole thread group per row.</summary>
internal static class CrossEntropyKernels
{
    /// <summary>
    /// Cross-entropy forward for wide rows, as <see cref="CrossEntropyRowsBody{T, TMath}"/> with a group per row
    /// (grid-stride over rows): the group reads the row together, once, its threads' (m, Σ) meet in a shared-memory
    /// tree, and the group's first thread writes the loss and the row's (m, s). <paramref name="shape"/> maps a row
    /// to its first logit (<c>Outer</c>) and steps along it (<c>Inner</c>).
    /// </summary>
    public static void Groups<T, TMath>(ArrayView<T> x, ReduceShape shape, ArrayView<T> targets, ArrayView<T> loss,
        ArrayView<T> stats)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        var partial = SharedMemory.Allocate<MaxSum<T>>(ReduceKernels.MaxGroupSize);
        TMath math = default;
        for (int row = Grid.IdxX; row < shape.OuterCount; row += Grid.DimX)
        {
            int start = shape.Outer.OffsetOf(row);
            var normalizer = SoftmaxKernels.RowMaxSum<T, TMath>(partial, x, start, shape.Inner, shape.InnerCount);
            if (Group.IdxX == 0)
            {
                T logSum = math.Log(normalizer.Sum);
                stats[2 * row] = normalizer.Max;
                stats[2 * row + 1] = logSum;
                loss[row] = CrossEntropyMath<T, T, TMath>.Loss(
                    x[start + shape.Inner.OffsetOf(math.ToIndex(targets[row]))], normalizer.Max, logSum);
            }
        }
    }
}

/// <summary>
/// Cross-entropy backward, one thread per logit: ∂L/∂xᵢⱼ = (e^((xᵢⱼ − mᵢ) − sᵢ) − [j = targetᵢ]) · g · scale, softmax
/// minus one-hot (mᵢ, sᵢ from the forward's stats), with g the loss's incoming gradient read from device memory (no host round trip) and scale = 1/n for
/// the mean. <paramref name="xLayout"/> walks the logits in row-major order; the output is contiguous [n, C].
/// </summary>
internal struct CrossEntropyGradBody<T, TMath>(ArrayView<T> x, Layout xLayout, int classes, ArrayView<T> targets,
    ArrayView<T> stats, ArrayView<T> gradOutput, T scale, ArrayView<T> dx) : IElementBody
    where T : unmanaged, INumber<T>
    where TMath : struct, ILossMath<T>
{
    private readonly ArrayView<T> _x = x, _targets = targets, _stats = stats, _gradOutput = gradOutput, _dx = dx;
    private readonly Layout _xLayout = xLayout;
    private readonly int _classes = classes;
    private readonly T _scale = scale;

    /// <inheritdoc/>
    public readonly void Execute(int index)
    {
        TMath math = default;
        int row = index / _classes;
        int j = index - row * _classes;
        _dx[index] = CrossEntropyMath<T, T, TMath>.Grad(_x[_xLayout.OffsetOf(index)], _stats[2 * row],
            _stats[2 * row + 1], j, math.ToIndex(_targets[row]), _gradOutput[0] * _scale);
    }
}

/// <summary>
/// Cross-entropy's arithmetic, once, over a lane type (<see cref="ILaneMath{TLane, T}"/>): scalars in the kernels
/// (TLane = T), <see cref="Vector{T}"/> lanes in the CPU device's loops. A row's maximum m and Σ e^(x − m) are
/// softmax's (<see cref="SoftmaxMath{TLane, T, TMath}"/>), and s = ln Σ.
/// </summary>
internal static class CrossEntropyMath<TLane, T, TMath>
    where TLane : IAdditionOperators<TLane, TLane, TLane>, ISubtractionOperators<TLane, TLane, TLane>,
        IMultiplyOperators<TLane, TLane, TLane>
    where TMath : struct, ILaneMath<TLane, T>
{
    /// <summary>A row's loss from its target's logit: s − (x[target] − m).</summary>
    public static TLane Loss(TLane target, TLane max, TLane logSum) => logSum - (target - max);

    /// <summary>
    /// One gradient element, (e^((x − m) − s) − [j = target]) · factor: softmax minus one-hot, times the incoming
    /// gradient's factor; <paramref name="j"/> is the class of the first lane (the others follow it).
    /// </summary>
    public static TLane Grad(TLane x, TLane max, TLane logSum, int j, int target, TLane factor)
    {
        TMath math = default;
        return (math.Exp(x - max - logSum) - math.OneAt(j, target)) * factor;
    }
}
