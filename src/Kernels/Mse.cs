using System.Numerics;
using ILGPU;

namespace MicrogradPlus.Kernels;

/// <summary>
/// Mean-squared-error backward as an element-wise operator over (prediction, target): ∂L/∂pᵢ = (pᵢ − tᵢ) · (g · scale),
/// with g the loss's incoming gradient read from device memory (no host round trip) and scale = 2/n (−2/n gives the
/// target's gradient). Run by the executors' zip like any binary operator, so strides and broadcasting come free.
/// </summary>
internal readonly struct MseGradOp<T>(ArrayView<T> gradOutput, T scale) : IBinaryOp<T>, IVectorized
    where T : unmanaged, INumber<T>
{
    private readonly ArrayView<T> _gradOutput = gradOutput;
    private readonly T _scale = scale;

    /// <inheritdoc/>
    public T Apply(T prediction, T target) => (prediction - target) * (_gradOutput[0] * _scale);

    /// <inheritdoc/>
    public Vector<T> Apply(Vector<T> prediction, Vector<T> target) =>
        (prediction - target) * new Vector<T>(_gradOutput[0] * _scale);
}
