using ILGPU;

namespace MicrogradPlus.Backends;

internal sealed partial class HostExecutor
{
    /// <inheritdoc/>
    public override void LayerNorm<T, TMath>(ArrayView<T> x, ArrayView<T> weight, ArrayView<T> bias, ArrayView<T> y,
        ArrayView<T> stats, int rows, int count, T eps, bool affine)
    {
        Launched();
        HostLoops.LayerNorm<T, TMath>(x, weight, bias, y, stats, rows, count, eps, affine);
    }

    /// <inheritdoc/>
    public override void LayerNormBackward<T, TMath>(ArrayView<T> x, ArrayView<T> stats, ArrayView<T> g,
        ArrayView<T> weight, ArrayView<T> dx, ArrayView<T> gradXHat, int rows, int count, bool affine)
    {
        Launched();
        HostLoops.LayerNormBackward<T, TMath>(x, stats, g, weight, dx, gradXHat, rows, count, affine);
    }
}
