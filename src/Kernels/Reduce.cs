using ILGPU;

namespace MicrogradPlus.Kernels;

/// <summary>An associative reduction with its identity element.</summary>
public interface IReduceOp
{
    /// <summary>The value an empty reduction yields.</summary>
    float Identity { get; }

    /// <summary>Combines two partial results.</summary>
    float Combine(float a, float b);
}

#pragma warning disable CS1591
public struct SumReduce : IReduceOp
{
    public readonly float Identity => 0f;
    public readonly float Combine(float a, float b) => a + b;
}

public struct MaxReduce : IReduceOp
{
    public readonly float Identity => float.NegativeInfinity;
    public readonly float Combine(float a, float b) => DeviceMath.Max(a, b);
}

public struct MinReduce : IReduceOp
{
    public readonly float Identity => float.PositiveInfinity;
    public readonly float Combine(float a, float b) => DeviceMath.Min(a, b);
}
#pragma warning restore CS1591

/// <summary>
/// The geometry of a reduction: <c>Outer</c> maps an output index to the offset of its first input element (over the
/// kept dimensions), <c>Inner</c> maps a position inside the reduced block to a relative offset (over the reduced
/// dimensions, offset 0).
/// </summary>
public struct ReduceShape
{
    /// <summary>Output index → input offset.</summary>
    public Layout Outer;
    /// <summary>Position in the reduced block → relative input offset.</summary>
    public Layout Inner;
    /// <summary>Number of outputs.</summary>
    public int OuterCount;
    /// <summary>Number of inputs reduced into each output.</summary>
    public int InnerCount;
    /// <summary>Multiplies each result (1 for sum/max/min, 1/n for mean).</summary>
    public float Scale;
}

/// <summary>One output per element: a serial loop over its reduced block. Best when there are many outputs.</summary>
public struct ReduceRowsBody<TOp>(ArrayView<float> x, ArrayView<float> y, ReduceShape shape, TOp op) : IElementBody
    where TOp : struct, IReduceOp
{
    private readonly ArrayView<float> _x = x, _y = y;
    private readonly ReduceShape _shape = shape;
    private readonly TOp _op = op;

    /// <inheritdoc/>
    public readonly void Execute(int index)
    {
        int start = _shape.Outer.OffsetOf(index);
        float acc = _op.Identity;
        for (int j = 0; j < _shape.InnerCount; j++)
        {
            acc = _op.Combine(acc, _x[start + _shape.Inner.OffsetOf(j)]);
        }
        _y[index] = acc * _shape.Scale;
    }
}

/// <summary>
/// argmax / argmin over a reduced block (<c>Sign</c> = 1 for max, −1 for min): the first index of the extreme value,
/// NaN counting as the extreme, as in PyTorch.
/// </summary>
public struct ArgReduceBody(ArrayView<float> x, ArrayView<int> y, ReduceShape shape, float sign) : IElementBody
{
    private readonly ArrayView<float> _x = x;
    private readonly ArrayView<int> _y = y;
    private readonly ReduceShape _shape = shape;
    private readonly float _sign = sign;

    /// <inheritdoc/>
    public readonly void Execute(int index)
    {
        int start = _shape.Outer.OffsetOf(index);
        float best = _sign * _x[start + _shape.Inner.OffsetOf(0)];
        int bestIndex = 0;
        for (int j = 1; j < _shape.InnerCount && !float.IsNaN(best); j++)
        {
            float v = _sign * _x[start + _shape.Inner.OffsetOf(j)];
            if (v > best || float.IsNaN(v))
            {
                best = v;
                bestIndex = j;
            }
        }
        _y[index] = bestIndex;
    }
}

/// <summary>Reduction kernels that need a whole thread group per output.</summary>
public static class ReduceKernels
{
    /// <summary>The largest group the tree reduction supports (the size of its shared array).</summary>
    public const int MaxGroupSize = 1024;

    /// <summary>
    /// One group per output (grid-stride over outputs): each thread folds a strided part of the block, then a shared-
    /// memory tree combines the partials. Best for few, long reductions. The group size must be a power of two; the
    /// tree is fixed, so results are reproducible run to run (no atomics).
    /// </summary>
    public static void ReduceGroups<TOp>(ArrayView<float> x, ArrayView<float> y, ReduceShape shape, TOp op)
        where TOp : struct, IReduceOp
    {
        var partial = SharedMemory.Allocate<float>(MaxGroupSize);
        int thread = Group.IdxX;
        int groupSize = Group.DimX;
        int groups = Grid.DimX;
        for (int o = Grid.IdxX; o < shape.OuterCount; o += groups)
        {
            int start = shape.Outer.OffsetOf(o);
            float acc = op.Identity;
            for (int j = thread; j < shape.InnerCount; j += groupSize)
            {
                acc = op.Combine(acc, x[start + shape.Inner.OffsetOf(j)]);
            }
            partial[thread] = acc;
            Group.Barrier();
            for (int half = groupSize / 2; half > 0; half /= 2)
            {
                if (thread < half)
                {
                    partial[thread] = op.Combine(partial[thread], partial[thread + half]);
                }
                Group.Barrier();
            }
            if (thread == 0)
            {
                y[o] = partial[0] * shape.Scale;
            }
            Group.Barrier();
        }
    }
}
