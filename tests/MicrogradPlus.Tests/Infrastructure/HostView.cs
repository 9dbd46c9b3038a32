using System.Numerics;
using MicrogradPlus.Backends;

namespace MicrogradPlus.Tests.Infrastructure;

/// <summary>
/// The host twin of a <see cref="StridedView{T}"/>: a float64 buffer with a shape, strides and an offset, reshaped by
/// its own few lines of index arithmetic (not the library's), so kernel references do not share the code under test.
/// </summary>
internal sealed class HostView
{
    private HostView(double[] data, int[] shape, int[] strides, int offset)
    {
        Data = data;
        Shape = shape;
        Strides = strides;
        Offset = offset;
    }

    /// <summary>The whole buffer, including elements the view does not reach.</summary>
    public double[] Data { get; }

    /// <summary>Sizes, outermost first.</summary>
    public int[] Shape { get; }

    /// <summary>Strides in elements.</summary>
    public int[] Strides { get; }

    /// <summary>Offset of element 0.</summary>
    public int Offset { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Length;

    /// <summary>Number of elements the view holds.</summary>
    public int Size => Shape.Aggregate(1, (a, b) => a * b);

    /// <summary>A row-major view of <paramref name="shape"/> over the start of <paramref name="data"/>.</summary>
    public static HostView Contiguous(double[] data, params int[] shape)
    {
        var strides = new int[shape.Length];
        int stride = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = stride;
            stride *= Math.Max(shape[i], 1);
        }
        return new HostView(data, shape, strides, 0);
    }

    /// <summary>A contiguous view over a fresh buffer filled from <paramref name="values"/> (cycled).</summary>
    public static HostView Filled(double[] values, params int[] shape)
    {
        int size = shape.Aggregate(1, (a, b) => a * b);
        var data = new double[size];
        for (int i = 0; i < size; i++)
        {
            data[i] = values[i % values.Length];
        }
        return Contiguous(data, shape);
    }

    /// <summary>A view with explicit strides and offset over <paramref name="data"/>.</summary>
    public static HostView Strided(double[] data, int[] shape, int[] strides, int offset) =>
        new(data, shape, strides, offset);

    /// <summary>Dimension i of the result is dimension axes[i] of this view.</summary>
    public HostView Permute(params int[] axes) =>
        new(Data, axes.Select(a => Shape[a]).ToArray(), axes.Select(a => Strides[a]).ToArray(), Offset);

    /// <summary>The last two dimensions swapped.</summary>
    public HostView TransposeLast()
    {
        var axes = Enumerable.Range(0, Rank).ToArray();
        (axes[^1], axes[^2]) = (axes[^2], axes[^1]);
        return Permute(axes);
    }

    /// <summary>Elements start..end−1 along <paramref name="axis"/>.</summary>
    public HostView Slice(int axis, int start, int end)
    {
        var shape = (int[])Shape.Clone();
        shape[axis] = end - start;
        return new HostView(Data, shape, Strides, Offset + start * Strides[axis]);
    }

    /// <summary>Broadcast to <paramref name="shape"/> (right-aligned) with stride 0 on expanded dimensions.</summary>
    public HostView Expand(params int[] shape)
    {
        int pad = shape.Length - Rank;
        var strides = new int[shape.Length];
        for (int i = 0; i < Rank; i++)
        {
            strides[pad + i] = Shape[i] == shape[pad + i] ? Strides[i] : 0;
        }
        return new HostView(Data, shape, strides, Offset);
    }

    /// <summary>The elements in reversed order along <paramref name="axis"/> (a negative stride).</summary>
    public HostView Flip(int axis)
    {
        var strides = (int[])Strides.Clone();
        strides[axis] = -Strides[axis];
        return new HostView(Data, Shape, strides, Offset + (Shape[axis] - 1) * Strides[axis]);
    }

    /// <summary>The buffer offset of row-major element <paramref name="linear"/>.</summary>
    public int OffsetOf(int linear)
    {
        int offset = Offset;
        for (int d = Rank - 1; d >= 0; d--)
        {
            offset += linear % Shape[d] * Strides[d];
            linear /= Shape[d];
        }
        return offset;
    }

    /// <summary>
    /// The element at a multi-index of a (possibly higher-rank) broadcast shape: the index is right-aligned with this
    /// view's dimensions and a size-1 dimension is read at 0, as NumPy broadcasting does.
    /// </summary>
    public double At(ReadOnlySpan<int> index)
    {
        int pad = index.Length - Rank;
        int offset = Offset;
        for (int d = 0; d < Rank; d++)
        {
            offset += (Shape[d] == 1 ? 0 : index[pad + d]) * Strides[d];
        }
        return Data[offset];
    }

    /// <summary>The view's elements in row-major order.</summary>
    public double[] Logical() => Enumerable.Range(0, Size).Select(i => Data[OffsetOf(i)]).ToArray();

    /// <summary>Copies the buffer to <paramref name="device"/> and returns the same view there.</summary>
    public StridedView<T> Upload<T>(Device device, BufferSet buffers) where T : unmanaged, INumberBase<T>
    {
        ArgumentNullException.ThrowIfNull(buffers);
        var buffer = buffers.Upload(device, Data.Select(T.CreateTruncating).ToArray());
        return new StridedView<T>(buffer, Shape, Strides, Offset);
    }

    /// <summary>"(4, 5) strides (1, 4) +0".</summary>
    public override string ToString() => $"{Shapes.Format(Shape)} strides {Shapes.Format(Strides)} +{Offset}";

    /// <summary>Every row-major multi-index of <paramref name="shape"/>.</summary>
    public static IEnumerable<int[]> Indices(int[] shape)
    {
        int size = shape.Aggregate(1, (a, b) => a * b);
        for (int linear = 0; linear < size; linear++)
        {
            var index = new int[shape.Length];
            int q = linear;
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                index[d] = q % shape[d];
                q /= shape[d];
            }
            yield return index;
        }
    }

    /// <summary>NumPy's broadcast shape, written out independently of <see cref="Shapes.Broadcast"/>.</summary>
    public static int[] BroadcastShape(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            int db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            result[i] = da == 1 ? db : da;
        }
        return result;
    }

    /// <summary>Values rounded to <typeparamref name="T"/>'s precision: host references then see the device's inputs.
    /// </summary>
    public static double[] Round<T>(IEnumerable<double> values) where T : INumberBase<T> =>
        values.Select(v => double.CreateTruncating(T.CreateTruncating(v))).ToArray();
}

/// <summary>Device buffers rented for one test, all returned to their pools on Dispose.</summary>
internal sealed class BufferSet : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    /// <summary>A buffer of <paramref name="length"/> elements (contents undefined).</summary>
    public DeviceBuffer<T> Rent<T>(Device device, long length) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(device);
        var buffer = device.Pool.Rent<T>(length);
        _owned.Add(buffer);
        return buffer;
    }

    /// <summary>A buffer holding <paramref name="values"/>.</summary>
    public DeviceBuffer<T> Upload<T>(Device device, T[] values) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(values);
        var buffer = Rent<T>(device, values.Length);
        buffer.CopyFrom(values);
        return buffer;
    }

    /// <summary>Returns every buffer.</summary>
    public void Dispose()
    {
        foreach (var buffer in _owned)
        {
            buffer.Dispose();
        }
        _owned.Clear();
    }
}
