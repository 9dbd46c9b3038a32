using System.Diagnostics;
using System.Numerics;
using ILGPU;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

internal static partial class Primitives
{
    /// <summary>y = op(x) element-wise; <paramref name="y"/> is contiguous with x's shape.</summary>
    public static void Map<T, TOp>(StridedView<T> x, DeviceBuffer<T> y, TOp op = default)
        where T : unmanaged
        where TOp : struct, IUnaryOp<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        RequireOutput(y, x.Size, x.Shape, x.Device, "map");
        if (x.Size > 0)
        {
            x.Device.Executor.Map(x, y, op);
        }
    }

    /// <summary>
    /// c = op(a, b) element-wise with NumPy broadcasting; <paramref name="c"/> is contiguous with the broadcast shape
    /// (<see cref="Shapes.Broadcast"/>).
    /// </summary>
    public static void Zip<T, TOp>(StridedView<T> a, StridedView<T> b, DeviceBuffer<T> c, TOp op = default)
        where T : unmanaged
        where TOp : struct, IBinaryOp<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        RequireSameDevice(a.Device, b.Device, "binary op");
        int[] shape = Shapes.Broadcast(a.Shape, b.Shape);
        RequireOutput(c, Shapes.Size(shape), shape, a.Device, "binary op");
        Zip(a, b, shape, c, op);
    }

    /// <summary>
    /// <see cref="Zip{T, TOp}(StridedView{T}, StridedView{T}, DeviceBuffer{T}, TOp)"/> for a caller that has checked
    /// the operands (one device, c on it) and computed their broadcast <paramref name="shape"/>: it only forwards.
    /// </summary>
    public static void Zip<T, TOp>(StridedView<T> a, StridedView<T> b, int[] shape, DeviceBuffer<T> c, TOp op)
        where T : unmanaged
        where TOp : struct, IBinaryOp<T>
    {
        int size = checked((int)c.Length);
        Debug.Assert(ReferenceEquals(a.Device, b.Device) && ReferenceEquals(a.Device, c.Device) &&
                     size == Shapes.Size(shape), "Zip: operands the caller should have checked");
        if (size > 0)
        {
            // Equal rank and size after broadcasting mean equal shapes: no expanded view to build.
            a.Device.Executor.Zip(a.Rank == shape.Length && a.Size == size ? a : a.Expand(shape),
                b.Rank == shape.Length && b.Size == size ? b : b.Expand(shape), c, op);
        }
    }

    /// <summary>Copies every element of <paramref name="source"/> into <paramref name="destination"/> (same shape).</summary>
    public static void Copy<T>(StridedView<T> source, StridedView<T> destination) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        RequireSameDevice(source.Device, destination.Device, "copy");
        if (!source.Shape.AsSpan().SequenceEqual(destination.Shape))
        {
            throw new ArgumentException(
                $"copy needs equal shapes, got {Shapes.Format(source.Shape)} into {Shapes.Format(destination.Shape)}");
        }
        if (source.Size > 0)
        {
            source.Device.Executor.Copy(source, destination);
        }
    }

    /// <summary>A contiguous copy of <paramref name="source"/> into <paramref name="destination"/>.</summary>
    public static void Copy<T>(StridedView<T> source, DeviceBuffer<T> destination) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(source);
        RequireOutput(destination, source.Size, source.Shape, source.Device, "copy");
        Copy(source, StridedView.Contiguous(destination, source.Shape));
    }

    /// <summary>Every element of <paramref name="y"/> set to <paramref name="value"/>.</summary>
    public static void Fill<T>(DeviceBuffer<T> y, T value) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(y);
        y.Device.Executor.Run(new FillBody<T>(y.View, value), checked((int)y.Length));
    }

    /// <summary>y[i] = start + i·step.</summary>
    public static void Arange(DeviceBuffer<float> y, float start, float step)
    {
        ArgumentNullException.ThrowIfNull(y);
        y.Device.Executor.Run(new ArangeBody(y.View, start, step), checked((int)y.Length));
    }

    /// <summary>y = (double)x: float32 to float64.</summary>
    public static void Widen(DeviceBuffer<float> x, DeviceBuffer<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        Widen(StridedView.Contiguous(x, checked((int)x.Length)), y);
    }

    /// <summary>y = (double)x for a contiguous view x (any offset): float32 to float64.</summary>
    public static void Widen(StridedView<float> x, DeviceBuffer<double> y)
    {
        RequireContiguous(x, "widen");
        RequireOutput(y, x.Size, x.Shape, x.Device, "widen");
        if (x.Size > 0)
        {
            x.Device.Executor.Run(new WidenBody(x.Buffer.View.SubView(x.Offset, x.Size), y.View), x.Size);
        }
    }

    /// <summary>y = (float)x: float64 to float32.</summary>
    public static void Narrow(DeviceBuffer<double> x, DeviceBuffer<float> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        Narrow(StridedView.Contiguous(x, checked((int)x.Length)), y);
    }

    /// <summary>y = (float)x for a contiguous view x (any offset): float64 to float32.</summary>
    public static void Narrow(StridedView<double> x, DeviceBuffer<float> y)
    {
        RequireContiguous(x, "narrow");
        RequireOutput(y, x.Size, x.Shape, x.Device, "narrow");
        if (x.Size > 0)
        {
            x.Device.Executor.Run(new NarrowBody(x.Buffer.View.SubView(x.Offset, x.Size), y.View), x.Size);
        }
    }

    /// <summary>Uniform numbers in [low, high) from a counter-based generator: the same on every device.</summary>
    public static void Uniform(DeviceBuffer<float> y, ulong seed, float low = 0f, float high = 1f)
    {
        ArgumentNullException.ThrowIfNull(y);
        if (!(high >= low))
        {
            throw new ArgumentException($"uniform range needs low ≤ high, got [{low}, {high})");
        }
        y.Device.Executor.Run(new UniformBody(y.View, seed, low, high), checked((int)y.Length));
    }

    /// <summary>Normal numbers (Box–Muller over the counter-based generator): the same on every device.</summary>
    public static void Normal(DeviceBuffer<float> y, ulong seed, float mean = 0f, float std = 1f)
    {
        ArgumentNullException.ThrowIfNull(y);
        if (!(std >= 0f))
        {
            throw new ArgumentException($"normal needs a non-negative standard deviation, got {std}");
        }
        y.Device.Executor.Run(new NormalBody(y.View, seed, mean, std), checked((int)y.Length));
    }

    /// <summary>Concatenates <paramref name="inputs"/> along <paramref name="axis"/> into contiguous y.</summary>
    public static void Concat<T>(IReadOnlyList<StridedView<T>> inputs, int axis, DeviceBuffer<T> y) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0)
        {
            throw new ArgumentException("concatenation needs at least one input", nameof(inputs));
        }
        var first = inputs[0];
        if (first.Rank == 0)
        {
            throw new ArgumentException("cannot concatenate zero-dimensional views (shape ()); unsqueeze them first",
                nameof(inputs));
        }
        int a = Shapes.NormalizeAxis(axis, first.Rank);
        var outShape = (int[])first.Shape.Clone();
        outShape[a] = 0;
        foreach (var input in inputs)
        {
            RequireSameDevice(first.Device, input.Device, "concatenation");
            bool fits = input.Rank == first.Rank;
            for (int d = 0; fits && d < first.Rank; d++)
            {
                fits = d == a || input.Shape[d] == first.Shape[d];
            }
            if (!fits)
            {
                throw new ArgumentException($"cannot concatenate {Shapes.Format(input.Shape)} with " +
                                            $"{Shapes.Format(first.Shape)} along axis {axis}: other dimensions differ");
            }
            outShape[a] += input.Shape[a];
        }
        RequireOutput(y, Shapes.Size(outShape), outShape, first.Device, "concatenation");
        var whole = StridedView.Contiguous(y, outShape);
        int start = 0;
        foreach (var input in inputs)
        {
            Copy(input, whole.Slice(a, start, start + input.Shape[a]));
            start += input.Shape[a];
        }
    }
}
