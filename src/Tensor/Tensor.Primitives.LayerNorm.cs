using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;

namespace MicrogradPlus;

/// <summary>The bridge's layer-normalization routines (see Tensor.Primitives.cs): the dtype picks the instantiation.</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// Fused layer norm of contiguous <paramref name="x"/> over rows of <paramref name="count"/>, not recorded; each
    /// row's (μ, 1/σ) goes to <paramref name="stats"/> [rows, 2]. Weight and bias contiguous, or both null.
    /// </summary>
    internal static Tensor FusedLayerNorm(Tensor x, int count, Tensor? weight, Tensor? bias, float eps, Tensor stats)
    {
        var y = Empty(x._shape, x.DType, x.Device);
        if (x.DType == DType.Float32)
        {
            Primitives.LayerNorm<float, ScalarMath>(x.F32, count, weight?.F32, bias?.F32, y.Storage.Float32!,
                stats.Storage.Float32!, eps);
        }
        else
        {
            Primitives.LayerNorm<double, ScalarMath>(x.F64, count, weight?.F64, bias?.F64, y.Storage.Float64!,
                stats.Storage.Float64!, eps);
        }
        return y;
    }

    /// <summary>
    /// The fused backward of <see cref="FusedLayerNorm"/>: dx, and with a weight g·x̂ (its column sums are the weight's
    /// gradient; null without one).
    /// </summary>
    internal static (Tensor Dx, Tensor? GradXHat) FusedLayerNormBackward(Tensor x, int count, Tensor stats, Tensor g,
        Tensor? weight)
    {
        var dx = Empty(x._shape, x.DType, x.Device);
        var gradXHat = weight is null ? null : Empty(x._shape, x.DType, x.Device);
        if (x.DType == DType.Float32)
        {
            Primitives.LayerNormBackward<float, ScalarMath>(x.F32, count, stats.Storage.Float32!, g.F32, weight?.F32,
                dx.Storage.Float32!, gradXHat?.Storage.Float32);
        }
        else
        {
            Primitives.LayerNormBackward<double, ScalarMath>(x.F64, count, stats.Storage.Float64!, g.F64,
                weight?.F64, dx.Storage.Float64!, gradXHat?.Storage.Float64);
        }
        return (dx, gradXHat);
    }
}
