using ILGPU;

namespace MicrogradPlus.Kernels;

/// <summary>y[i] = op(x[layout(i)]): a unary op over a strided (possibly broadcast) input into a contiguous output.</summary>
internal struct MapBody<T, TOp>(ArrayView<T> x, Layout xLayout, ArrayView<T> y, TOp op) : IElementBody
    where T : unmanaged
    where TOp : struct, IUnaryOp<T>
{
    private readonly ArrayView<T> _x = x, _y = y;
    private readonly Layout _xLayout = xLayout;
    private readonly TOp _op = op;

    /// <inheritdoc/>
    public readonly void Execute(int index) => _y[index] = _op.Apply(_x[_xLayout.OffsetOf(index)]);
}

/// <summary>
/// y[i] = op(x[i]): the contiguous fast path of <see cref="MapBody{T, TOp}"/>. Each index covers four elements —
/// one 16-byte vector load and store when both views start on a four-element boundary (<paramref name="aligned"/>),
/// four independent scalar accesses otherwise and at the ragged end — so every thread keeps more bytes in flight
/// than one element's worth. Launch over <see cref="Vectorized.Quads"/>(length) indices.
/// </summary>
internal struct MapContiguousBody<T, TOp>(ArrayView<T> x, ArrayView<T> y, TOp op, bool aligned) : IElementBody
    where T : unmanaged
    where TOp : struct, IUnaryOp<T>
{
    private readonly ArrayView<T> _x = x, _y = y;
    private readonly TOp _op = op;
    private readonly int _length = y.IntLength;
    private readonly int _aligned = aligned ? 1 : 0; // kernel parameters must be blittable: no bool

    /// <inheritdoc/>
    public readonly void Execute(int index)
    {
        int start = index * 4;
        if (_aligned != 0 && start + 4 <= _length)
        {
            var v = _x.Cast<Vec4<T>>()[index];
            _y.Cast<Vec4<T>>()[index] = new Vec4<T>
            {
                X0 = _op.Apply(v.X0), X1 = _op.Apply(v.X1), X2 = _op.Apply(v.X2), X3 = _op.Apply(v.X3),
            };
            return;
        }
        for (int i = start; i < start + 4 && i < _length; i++)
        {
            _y[i] = _op.Apply(_x[i]);
        }
    }
}

/// <summary>
/// c[i] = op(a[layoutA(i)], b[layoutB(i)]): a binary op with NumPy broadcasting. Both layouts walk the output shape;
/// a broadcast dimension of an input has stride 0.
/// </summary>
internal struct ZipBody<T, TOp>(ArrayView<T> a, Layout aLayout, ArrayView<T> b, Layout bLayout, ArrayView<T> c, TOp op)
    : IElementBody
    where T : unmanaged
    where TOp : struct, IBinaryOp<T>
{
    private readonly ArrayView<T> _a = a, _b = b, _c = c;
    private readonly Layout _aLayout = aLayout, _bLayout = bLayout;
    private readonly TOp _op = op;

    /// <inheritdoc/>
    public readonly void Execute(int index) =>
        _c[index] = _op.Apply(_a[_aLayout.OffsetOf(index)], _b[_bLayout.OffsetOf(index)]);
}

/// <summary>
/// c[i] = op(a[i], b[i]): same shape, all contiguous — the fast path of <see cref="ZipBody{T, TOp}"/>, four elements
/// per index like <see cref="MapContiguousBody{T, TOp}"/>.
/// </summary>
internal struct ZipContiguousBody<T, TOp>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, TOp op, bool aligned)
    : IElementBody
    where T : unmanaged
    where TOp : struct, IBinaryOp<T>
{
    private readonly ArrayView<T> _a = a, _b = b, _c = c;
    private readonly TOp _op = op;
    private readonly int _length = c.IntLength;
    private readonly int _aligned = aligned ? 1 : 0; // kernel parameters must be blittable: no bool

    /// <inheritdoc/>
    public readonly void Execute(int index)
    {
        int start = index * 4;
        if (_aligned != 0 && start + 4 <= _length)
        {
            var u = _a.Cast<Vec4<T>>()[index];
            var v = _b.Cast<Vec4<T>>()[index];
            _c.Cast<Vec4<T>>()[index] = new Vec4<T>
            {
                X0 = _op.Apply(u.X0, v.X0), X1 = _op.Apply(u.X1, v.X1),
                X2 = _op.Apply(u.X2, v.X2), X3 = _op.Apply(u.X3, v.X3),
            };
            return;
        }
        for (int i = start; i < start + 4 && i < _length; i++)
        {
            _c[i] = _op.Apply(_a[i], _b[i]);
        }
    }
}

/// <summary>The four-element grouping of the contiguous element-wise bodies.</summary>
internal static class Vectorized
{
    /// <summary>Indices that cover <paramref name="length"/> elements four at a time.</summary>
    public static int Quads(int length) => (int)(((long)length + 3) / 4);

    /// <summary>Whether a view starting at element <paramref name="offset"/> of a fresh buffer is 16-byte aligned.</summary>
    public static bool Aligned(long offset) => offset % 4 == 0;
}

/// <summary>
/// y[yLayout(i)] = x[xLayout(i)]: copies between two strided views of one shape. Materialises permute, transpose,
/// expand and slice views, and writes each input of a concatenation into its slice of the output.
/// </summary>
internal struct CopyBody<T>(ArrayView<T> x, Layout xLayout, ArrayView<T> y, Layout yLayout) : IElementBody
    where T : unmanaged
{
    private readonly ArrayView<T> _x = x, _y = y;
    private readonly Layout _xLayout = xLayout, _yLayout = yLayout;

    /// <inheritdoc/>
    public readonly void Execute(int index) => _y[_yLayout.OffsetOf(index)] = _x[_xLayout.OffsetOf(index)];
}

/// <summary>y[i] = value.</summary>
internal struct FillBody<T>(ArrayView<T> y, T value) : IElementBody
    where T : unmanaged
{
    private readonly ArrayView<T> _y = y;
    private readonly T _value = value;

    /// <inheritdoc/>
    public readonly void Execute(int index) => _y[index] = _value;
}

/// <summary>y[i] = start + i·step, computed per element (no running sum, so no drift over long ranges).</summary>
internal struct ArangeBody(ArrayView<float> y, float start, float step) : IElementBody
{
    private readonly ArrayView<float> _y = y;
    private readonly float _start = start, _step = step;

    /// <inheritdoc/>
    public readonly void Execute(int index) => _y[index] = _start + index * _step;
}

/// <summary>y[i] = (double)x[i]: float32 → float64.</summary>
internal struct WidenBody(ArrayView<float> x, ArrayView<double> y) : IElementBody
{
    private readonly ArrayView<float> _x = x;
    private readonly ArrayView<double> _y = y;

    /// <inheritdoc/>
    public readonly void Execute(int index) => _y[index] = _x[index];
}

/// <summary>y[i] = (float)x[i]: float64 → float32, rounding to nearest.</summary>
internal struct NarrowBody(ArrayView<double> x, ArrayView<float> y) : IElementBody
{
    private readonly ArrayView<double> _x = x;
    private readonly ArrayView<float> _y = y;

    /// <inheritdoc/>
    public readonly void Execute(int index) => _y[index] = (float)_x[index];
}
