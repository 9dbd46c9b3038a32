using System.Diagnostics;
using System.Numerics;
using ILGPU;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

internal static partial class Primitives
{
    /// <summary>
    /// Reduces <paramref name="x"/> over <paramref name="axes"/> (null or empty: all) into <paramref name="y"/>, which
    /// holds the kept dimensions in order; every result is multiplied by <paramref name="scale"/> (1/n gives a mean).
    /// </summary>
    public static void Reduce<T, TOp>(StridedView<T> x, int[]? axes, DeviceBuffer<T> y, T scale,
        ReduceStrategy strategy = ReduceStrategy.Auto, TOp op = default)
        where T : unmanaged, INumber<T>
        where TOp : struct, IReduceOp<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        int[] reduced = Shapes.NormalizeAxes(axes, x.Rank);
        int[] outShape = Shapes.Reduced(x.Shape, reduced, keepDim: false);
        RequireOutput(y, Shapes.Size(outShape), outShape, x.Device, "reduction");
        ReduceNormalized(x, reduced, y, scale, op, strategy);
    }

    /// <summary>
    /// <see cref="Reduce{T, TOp}"/> for a caller that has normalized the <paramref name="axes"/> and sized
    /// <paramref name="y"/> on x's device: it only forwards.
    /// </summary>
    public static void ReduceNormalized<T, TOp>(StridedView<T> x, int[] axes, DeviceBuffer<T> y, T scale, TOp op,
        ReduceStrategy strategy = ReduceStrategy.Auto)
        where T : unmanaged, INumber<T>
        where TOp : struct, IReduceOp<T>
    {
        Debug.Assert(ReferenceEquals(x.Device, y.Device), "Reduce: operands the caller should have checked");
        if (y.Length > 0)
        {
            x.Device.Executor.Reduce(x, Walks.ReduceShapeOf(x, axes), y, scale, strategy, op);
        }
    }

    /// <summary>
    /// Index of the largest (<paramref name="max"/>) or smallest value along <paramref name="axis"/>: the first one on
    /// ties, NaN counting as extreme (PyTorch's argmax/argmin).
    /// </summary>
    public static void ArgReduce<T>(StridedView<T> x, int axis, DeviceBuffer<int> y, bool max = true)
        where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        int a = Shapes.NormalizeAxis(axis, x.Rank);
        if (x.Rank > 0 && x.Shape[a] == 0)
        {
            throw new ArgumentException(
                $"{(max ? "argmax" : "argmin")} over axis {axis} of shape {Shapes.Format(x.Shape)}: the axis is empty");
        }
        int[] outShape = Shapes.Reduced(x.Shape, x.Rank == 0 ? [] : [a], keepDim: false);
        int size = Shapes.Size(outShape);
        RequireSameDevice(x.Device, y.Device, "argreduce");
        if (y.Length != size)
        {
            throw new ArgumentException($"argreduce output holds {y.Length} indices, shape {Shapes.Format(outShape)} " +
                                        $"needs {size}");
        }
        var shape = Walks.ReduceShapeOf(x, x.Rank == 0 ? [] : [a]);
        x.Device.Executor.Run(new ArgReduceBody<T>(x.Buffer.View, y.View, shape, max ? T.One : -T.One), size);
    }
}
