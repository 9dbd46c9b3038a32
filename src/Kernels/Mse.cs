using System.Numerics;
using ILGPU;

namespace MicrogradPlus.Kernels;

/// <summary>
/// Mean-squared-error backward, one thread per element: ∂L/∂pᵢ = (pᵢ − tᵢ) · (g · scale), with g the loss's incoming
/// gradient read from device memory (no host round trip) and scale = 2/n (−2/n gives the target's gradient). Both
/// layouts walk the prediction's shape in row-major order; the output is contiguous.
/// </summary>
public struct MseGradBody<T>(ArrayView<T> prediction, Layout predictionLayout, ArrayView<T> target,
    Layout targetLayout, ArrayView<T> gradOutput, T scale, ArrayView<T> dx) : IElementBody
    where T : unmanaged, INumber<T>
{
    private readonly ArrayView<T> _prediction = prediction, _target = target, _gradOutput = gradOutput, _dx = dx;
    private readonly Layout _predictionLayout = predictionLayout, _targetLayout = targetLayout;
    private readonly T _scale = scale;

    /// <inheritdoc/>
    public readonly void Execute(int index) =>
        _dx[index] = (_prediction[_predictionLayout.OffsetOf(index)] - _target[_targetLayout.OffsetOf(index)]) *
                     (_gradOutput[0] * _scale);
}
