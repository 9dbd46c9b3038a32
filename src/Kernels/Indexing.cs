using System.Numerics;
using ILGPU;

namespace MicrogradPlus.Kernels;

/// <summary>
/// torch.gather: y[i] = x[xLayout(i) + index[indexLayout(i)]·axisStride]. Both layouts walk the output shape (the
/// index's); <c>xLayout</c> has stride 0 on the gathered axis. The index was range-checked on the host.
/// </summary>
internal struct GatherBody<T>(ArrayView<T> x, Layout xLayout, int axisStride, ArrayView<int> index, Layout indexLayout,
    ArrayView<T> y) : IElementBody
    where T : unmanaged
{
    private readonly ArrayView<T> _x = x, _y = y;
    private readonly ArrayView<int> _index = index;
    private readonly Layout _xLayout = xLayout, _indexLayout = indexLayout;
    private readonly int _axisStride = axisStride;

    /// <inheritdoc/>
    public readonly void Execute(int index) =>
        _y[index] = _x[_xLayout.OffsetOf(index) + _index[_indexLayout.OffsetOf(index)] * _axisStride];
}

/// <summary>
/// torch.scatter_add_ without atomics: one thread per element of the region R of y that the index can reach (the
/// index's sizes off the axis, y's size on it), each summing the sources that land on it:
/// y[yLayout(i)] += Σⱼ [index(i, j) = m(i)] · src(i, j), j over the index's length on the axis and m(i) the element's
/// coordinate on the axis. Each output is written by one thread, in a fixed order, so results are reproducible; the
/// cost is R's size × the index's length on the axis, which suits the small gathers of losses and embeddings.
/// </summary>
internal struct ScatterAddBody<T>(ArrayView<T> y, Layout yLayout, ArrayView<int> index, Layout indexLayout,
    int indexAxisStride, ArrayView<T> src, Layout srcLayout, int srcAxisStride, int count, int inner, int axisSize)
    : IElementBody
    where T : unmanaged, INumber<T>
{
    private readonly ArrayView<T> _y = y, _src = src;
    private readonly ArrayView<int> _index = index;
    private readonly Layout _yLayout = yLayout, _indexLayout = indexLayout, _srcLayout = srcLayout;
    private readonly int _indexAxisStride = indexAxisStride, _srcAxisStride = srcAxisStride;
    private readonly int _count = count, _inner = inner, _axisSize = axisSize;

    /// <inheritdoc/>
    public readonly void Execute(int index)
    {
        int m = index / _inner % _axisSize;
        int indexStart = _indexLayout.OffsetOf(index), srcStart = _srcLayout.OffsetOf(index);
        T sum = T.Zero;
        for (int j = 0; j < _count; j++)
        {
            if (_index[indexStart + j * _indexAxisStride] == m)
            {
                sum += _src[srcStart + j * _srcAxisStride];
            }
        }
        int target = _yLayout.OffsetOf(index);
        _y[target] = _y[target] + sum;
    }
}

/// <summary>y[i] = 1 where index[i / classes] = i mod classes, else 0 (torch.nn.functional.one_hot).</summary>
internal struct OneHotBody<T>(ArrayView<int> index, int classes, ArrayView<T> y) : IElementBody
    where T : unmanaged, INumber<T>
{
    private readonly ArrayView<int> _index = index;
    private readonly ArrayView<T> _y = y;
    private readonly int _classes = classes;

    /// <inheritdoc/>
    public readonly void Execute(int index) =>
        _y[index] = _index[index / _classes] == index % _classes ? T.One : T.Zero;
}

/// <summary>
/// torch.tril / torch.triu over the last two dimensions: y[i] = x[xLayout(i)] where column − row ≤ diagonal (lower)
/// or ≥ diagonal (upper), else 0 — a select, so a NaN outside the triangle still gives 0.
/// </summary>
internal struct TriangleBody<T>(ArrayView<T> x, Layout xLayout, ArrayView<T> y, int rows, int columns, int diagonal,
    int lower) : IElementBody
    where T : unmanaged, INumber<T>
{
    private readonly ArrayView<T> _x = x, _y = y;
    private readonly Layout _xLayout = xLayout;
    private readonly int _rows = rows, _columns = columns, _diagonal = diagonal, _lower = lower;

    /// <inheritdoc/>
    public readonly void Execute(int index)
    {
        int column = index % _columns;
        int row = index / _columns % _rows;
        bool keep = _lower != 0 ? column - row <= _diagonal : column - row >= _diagonal;
        _y[index] = keep ? _x[_xLayout.OffsetOf(index)] : T.Zero;
    }
}

/// <summary>
/// Running sums along one axis, one thread per line: y(line, j) = Σ_{l ≤ j} x(line, l), in order (as PyTorch's
/// cumsum on the CPU). The layouts walk the lines (the shape without the axis) with each tensor's strides.
/// </summary>
internal struct CumSumBody<T>(ArrayView<T> x, Layout xLines, int xStride, ArrayView<T> y, Layout yLines, int yStride,
    int length) : IElementBody
    where T : unmanaged, INumber<T>
{
    private readonly ArrayView<T> _x = x, _y = y;
    private readonly Layout _xLines = xLines, _yLines = yLines;
    private readonly int _xStride = xStride, _yStride = yStride, _length = length;

    /// <inheritdoc/>
    public readonly void Execute(int index)
    {
        int xs = _xLines.OffsetOf(index), ys = _yLines.OffsetOf(index);
        T sum = T.Zero;
        for (int j = 0; j < _length; j++)
        {
            sum += _x[xs + j * _xStride];
            _y[ys + j * _yStride] = sum;
        }
    }
}

/// <summary>
/// The indices that sort each line (sort, topk), one thread per element: an element's place is the number of
/// elements of its line that come before it — larger ones (descending) or smaller ones (ascending), NaN counting as
/// the largest, and equal ones with a lower index — so equal values keep their order (a stable sort) and the places
/// of a line are 0..length−1 exactly once. The element is written at its place when that is below
/// <c>keep</c> (k for topk). Quadratic in the line length: meant for the short lines of classifier outputs.
/// </summary>
internal struct SortIndexBody<T>(ArrayView<T> x, Layout xLines, int xStride, ArrayView<int> y, Layout yLines,
    int yStride, int length, int keep, int descending) : IElementBody
    where T : unmanaged, INumber<T>
{
    private readonly ArrayView<T> _x = x;
    private readonly ArrayView<int> _y = y;
    private readonly Layout _xLines = xLines, _yLines = yLines;
    private readonly int _xStride = xStride, _yStride = yStride, _length = length, _keep = keep;
    private readonly int _descending = descending;

    /// <inheritdoc/>
    public readonly void Execute(int index)
    {
        int line = index / _length, j = index % _length;
        int xs = _xLines.OffsetOf(line);
        T v = _x[xs + j * _xStride];
        int place = 0;
        for (int l = 0; l < _length; l++)
        {
            T u = _x[xs + l * _xStride];
            bool before = _descending != 0 ? Greater(u, v) : Greater(v, u);
            if (before || (l < j && Same(u, v)))
            {
                place++;
            }
        }
        if (place < _keep)
        {
            _y[_yLines.OffsetOf(line) + place * _yStride] = j;
        }
    }

    // NaN above everything; the NaN tests come first (see ArgReduceBody).
    private static bool Greater(T a, T b) => (IsNaN(a) && !IsNaN(b)) || (!IsNaN(a) && !IsNaN(b) && a > b);

    private static bool Same(T a, T b) => IsNaN(a) ? IsNaN(b) : a == b;

#pragma warning disable CS1718
    private static bool IsNaN(T x) => x != x;
#pragma warning restore CS1718
}

/// <summary>y[i] = convert(x[i]) between element types (float ↔ double ↔ int; float to int truncates toward zero).</summary>
internal struct ConvertBody<TFrom, TTo, TConvert>(ArrayView<TFrom> x, ArrayView<TTo> y) : IElementBody
    where TFrom : unmanaged
    where TTo : unmanaged
    where TConvert : struct, IConvert<TFrom, TTo>
{
    private readonly ArrayView<TFrom> _x = x;
    private readonly ArrayView<TTo> _y = y;

    /// <inheritdoc/>
    public readonly void Execute(int index) => _y[index] = default(TConvert).Apply(_x[index]);
}

/// <summary>One element-type conversion.</summary>
internal interface IConvert<TFrom, TTo>
{
    /// <summary>x as a <typeparamref name="TTo"/>.</summary>
    TTo Apply(TFrom x);
}

#pragma warning disable CS1591
internal struct IntToFloat : IConvert<int, float> { public readonly float Apply(int x) => x; }

internal struct IntToDouble : IConvert<int, double> { public readonly double Apply(int x) => x; }

internal struct FloatToInt : IConvert<float, int> { public readonly int Apply(float x) => (int)x; }

internal struct DoubleToInt : IConvert<double, int> { public readonly int Apply(double x) => (int)x; }
#pragma warning restore CS1591
