using ILGPU;

namespace MicrogradPlus.Kernels;

/// <summary>y[i] = op(x[layout(i)]): a unary op over a strided (possibly broadcast) input into a contiguous output.</summary>
public struct MapBody<TOp>(ArrayView<float> x, Layout xLayout, ArrayView<float> y, TOp op) : IElementBody
    where TOp : struct, IUnaryOp
{
    private readonly ArrayView<float> _x = x, _y = y;
    private readonly Layout _xLayout = xLayout;
    private readonly TOp _op = op;

    /// <inheritdoc/>
    public readonly void Execute(int index) => _y[index] = _op.Apply(_x[_xLayout.OffsetOf(index)]);
}

/// <summary>y[i] = op(x[i]): the contiguous fast path of <see cref="MapBody{TOp}"/>.</summary>
public struct MapContiguousBody<TOp>(ArrayView<float> x, ArrayView<float> y, TOp op) : IElementBody
    where TOp : struct, IUnaryOp
{
    private readonly ArrayView<float> _x = x, _y = y;
    private readonly TOp _op = op;

    /// <inheritdoc/>
    public readonly void Execute(int index) => _y[index] = _op.Apply(_x[index]);
}

/// <summary>
/// c[i] = op(a[layoutA(i)], b[layoutB(i)]): a binary op with NumPy broadcasting. Both layouts walk the output shape;
/// a broadcast dimension of an input has stride 0.
/// </summary>
public struct ZipBody<TOp>(ArrayView<float> a, Layout aLayout, ArrayView<float> b, Layout bLayout, ArrayView<float> c,
    TOp op) : IElementBody
    where TOp : struct, IBinaryOp
{
    private readonly ArrayView<float> _a = a, _b = b, _c = c;
    private readonly Layout _aLayout = aLayout, _bLayout = bLayout;
    private readonly TOp _op = op;

    /// <inheritdoc/>
    public readonly void Execute(int index) =>
        _c[index] = _op.Apply(_a[_aLayout.OffsetOf(index)], _b[_bLayout.OffsetOf(index)]);
}

/// <summary>c[i] = op(a[i], b[i]): same shape, both contiguous — the fast path of <see cref="ZipBody{TOp}"/>.</summary>
public struct ZipContiguousBody<TOp>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, TOp op) : IElementBody
    where TOp : struct, IBinaryOp
{
    private readonly ArrayView<float> _a = a, _b = b, _c = c;
    private readonly TOp _op = op;

    /// <inheritdoc/>
    public readonly void Execute(int index) => _c[index] = _op.Apply(_a[index], _b[index]);
}

/// <summary>
/// y[yLayout(i)] = x[xLayout(i)]: copies between two strided views of one shape. Materialises permute, transpose,
/// expand and slice views, and writes each input of a concatenation into its slice of the output.
/// </summary>
public struct CopyBody(ArrayView<float> x, Layout xLayout, ArrayView<float> y, Layout yLayout) : IElementBody
{
    private readonly ArrayView<float> _x = x, _y = y;
    private readonly Layout _xLayout = xLayout, _yLayout = yLayout;

    /// <inheritdoc/>
    public readonly void Execute(int index) => _y[_yLayout.OffsetOf(index)] = _x[_xLayout.OffsetOf(index)];
}

/// <summary>y[i] = value.</summary>
public struct FillBody(ArrayView<float> y, float value) : IElementBody
{
    private readonly ArrayView<float> _y = y;
    private readonly float _value = value;

    /// <inheritdoc/>
    public readonly void Execute(int index) => _y[index] = _value;
}

/// <summary>y[i] = start + i·step, computed per element (no running sum, so no drift over long ranges).</summary>
public struct ArangeBody(ArrayView<float> y, float start, float step) : IElementBody
{
    private readonly ArrayView<float> _y = y;
    private readonly float _start = start, _step = step;

    /// <inheritdoc/>
    public readonly void Execute(int index) => _y[index] = _start + index * _step;
}

/// <summary>
/// torch.gather: y[i] = x[xLayout(i) + index[i]·axisStride]. <c>xLayout</c> walks the output shape with x's strides
/// and stride 0 on the gathered axis; <c>index</c> is contiguous in the output shape.
/// </summary>
public struct GatherBody(ArrayView<float> x, Layout xLayout, int axisStride, ArrayView<int> indices,
    ArrayView<float> y) : IElementBody
{
    private readonly ArrayView<float> _x = x, _y = y;
    private readonly ArrayView<int> _indices = indices;
    private readonly Layout _xLayout = xLayout;
    private readonly int _axisStride = axisStride;

    /// <inheritdoc/>
    public readonly void Execute(int index) =>
        _y[index] = _x[_xLayout.OffsetOf(index) + _indices[index] * _axisStride];
}
