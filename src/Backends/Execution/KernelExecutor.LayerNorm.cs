using ILGPU;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

internal sealed partial class KernelExecutor
{
    /// <inheritdoc/>
    public override void LayerNorm<T, TMath>(ArrayView<T> x, ArrayView<T> weight, ArrayView<T> bias, ArrayView<T> y,
        ArrayView<T> stats, int rows, int count, T eps, bool affine) =>
        Run(new LayerNormRowsBody<T, TMath>(x, weight, bias, y, stats, count, T.One / T.CreateChecked(count), eps,
            affine ? 1 : 0), rows);

    /// <inheritdoc/>
    public override void LayerNormBackward<T, TMath>(ArrayView<T> x, ArrayView<T> stats, ArrayView<T> g,
        ArrayView<T> weight, ArrayView<T> dx, ArrayView<T> gradXHat, int rows, int count, bool affine) =>
        Run(new LayerNormGradRowsBody<T, TMath>(x, stats, g, weight, dx, gradXHat, count,
            T.One / T.CreateChecked(count), affine ? 1 : 0), rows);
}
