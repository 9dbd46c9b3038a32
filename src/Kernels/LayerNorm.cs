using System.Numerics;
using ILGPU;

namespace MicrogradPlus.Kernels;

/// <summary>
/// Layer normalization's arithmetic, once, over a lane type (<see cref="ILaneMath{TLane, T}"/>): scalars in the
/// kernels (TLane = T), <see cref="Vector{T}"/> lanes in the CPU device's loops. For a row of n elements:
/// μ = Σx/n, r = 1/√(Σ(x − μ)²/n + ε), x̂ = (x − μ)·r, y = x̂·w + b; backward with ĝ = g·w:
/// dx = r·(ĝ − mean ĝ − x̂·mean(ĝ·x̂)).
/// </summary>
internal static class LayerNormMath<TLane, T, TMath>
    where TLane : IAdditionOperators<TLane, TLane, TLane>, ISubtractionOperators<TLane, TLane, TLane>,
        IMultiplyOperators<TLane, TLane, TLane>, IDivisionOperators<TLane, TLane, TLane>
    where T : INumberBase<T>
    where TMath : struct, ILaneMath<TLane, T>
{
    /// <summary>A term of the row's variance sum: (x − μ)².</summary>
    public static TLane SquareTerm(TLane x, TLane mean)
    {
        TLane centered = x - mean;
        return centered * centered;
    }

    /// <summary>r = 1/√(σ² + ε) from Σ(x − μ)² and 1/n: the biased variance, as torch.</summary>
    public static TLane InverseStd(TLane squares, TLane inverseCount, TLane eps)
    {
        TMath math = default;
        return math.Of(T.One) / math.Sqrt(squares * inverseCount + eps);
    }

    /// <summary>x̂ = (x − μ)·r.</summary>
    public static TLane Normalized(TLane x, TLane mean, TLane inverseStd) => (x - mean) * inverseStd;

    /// <summary>y = x̂·w + b.</summary>
    public static TLane Output(TLane x, TLane mean, TLane inverseStd, TLane weight, TLane bias) =>
        Normalized(x, mean, inverseStd) * weight + bias;

    /// <summary>
    /// One element of dx from ĝ = g·w (or g without an affine), x̂ and the row's means of ĝ and of ĝ·x̂.
    /// </summary>
    public static TLane Grad(TLane gHat, TLane xHat, TLane inverseStd, TLane meanGHat, TLane meanGHatXHat) =>
        inverseStd * (gHat - meanGHat - xHat * meanGHatXHat);
}

/// <summary>
/// Layer normalization forward, one thread per row of <paramref name="count"/> contiguous elements (rows one after
/// another): y (contiguous, x's shape) and the row's (μ, r) into stats[2·row], stats[2·row + 1] for the backward.
/// <paramref name="affine"/> ≠ 0: y = x̂·w + b with w and b of the row's length; else y = x̂ (w and b unread).
/// </summary>
internal struct LayerNormRowsBody<T, TMath>(ArrayView<T> x, ArrayView<T> weight, ArrayView<T> bias, ArrayView<T> y,
    ArrayView<T> stats, int count, T inverseCount, T eps, int affine) : IElementBody
    where T : unmanaged, INumber<T>
    where TMath : struct, ILossMath<T>
{
    private readonly ArrayView<T> _x = x, _weight = weight, _bias = bias, _y = y, _stats = stats;
    private readonly int _count = count, _affine = affine;
    private readonly T _inverseCount = inverseCount, _eps = eps;

    /// <inheritdoc/>
    public readonly void Execute(int index)
    {
        int start = index * _count;
        T sum = T.Zero;
        for (int j = 0; j < _count; j++)
        {
            sum += _x[start + j];
        }
        T mean = sum * _inverseCount;
        T squares = T.Zero;
        for (int j = 0; j < _count; j++)
        {
            squares += LayerNormMath<T, T, TMath>.SquareTerm(_x[start + j], mean);
        }
        T inverseStd = LayerNormMath<T, T, TMath>.InverseStd(squares, _inverseCount, _eps);
        _stats[2 * index] = mean;
        _stats[2 * index + 1] = inverseStd;
        for (int j = 0; j < _count; j++)
        {
            _y[start + j] = _affine != 0
                ? LayerNormMath<T, T, TMath>.Output(_x[start + j], mean, inverseStd, _weight[j], _bias[j])
                : LayerNormMath<T, T, TMath>.Normalized(_x[start + j], mean, inverseStd);
        }
    }
}

/// <summary>
/// Layer normalization backward, one thread per row, from x, the forward's (μ, r) and the incoming gradient g (all
/// contiguous): dx, and with <paramref name="affine"/> ≠ 0 also g·x̂ into <paramref name="gradXHat"/> (its sum over
/// the rows is the weight's gradient; the caller sums it with the reduction kernels).
/// </summary>
internal struct LayerNormGradRowsBody<T, TMath>(ArrayView<T> x, ArrayView<T> stats, ArrayView<T> g,
    ArrayView<T> weight, ArrayView<T> dx, ArrayView<T> gradXHat, int count, T inverseCount, int affine) : IElementBody
    where T : unmanaged, INumber<T>
    where TMath : struct, ILossMath<T>
{
    private readonly ArrayView<T> _x = x, _stats = stats, _g = g, _weight = weight, _dx = dx, _gradXHat = gradXHat;
    private readonly int _count = count, _affine = affine;
    private readonly T _inverseCount = inverseCount;

    /// <inheritdoc/>
    public readonly void Execute(int index)
    {
        int start = index * _count;
        T mean = _stats[2 * index], inverseStd = _stats[2 * index + 1];
        T sumGHat = T.Zero, sumGHatXHat = T.Zero;
        for (int j = 0; j < _count; j++)
        {
            T gHat = _affine != 0 ? _g[start + j] * _weight[j] : _g[start + j];
            sumGHat += gHat;
            sumGHatXHat += gHat * LayerNormMath<T, T, TMath>.Normalized(_x[start + j], mean, inverseStd);
        }
        T meanGHat = sumGHat * _inverseCount, meanGHatXHat = sumGHatXHat * _inverseCount;
        for (int j = 0; j < _count; j++)
        {
            T g = _g[start + j];
            T xHat = LayerNormMath<T, T, TMath>.Normalized(_x[start + j], mean, inverseStd);
            _dx[start + j] = LayerNormMath<T, T, TMath>.Grad(_affine != 0 ? g * _weight[j] : g, xHat, inverseStd,
                meanGHat, meanGHatXHat);
            if (_affine != 0)
            {
                _gradXHat[start + j] = g * xHat;
            }
        }
    }
}
