using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>The variance of all elements with Bessel's correction (torch.var()).</summary>
    /// <returns>A zero-dimensional tensor of this tensor's dtype.</returns>
    public Tensor Var() => Var([], keepDim: false, correction: 1);

    /// <summary>The variance over one axis (negative counts from the end), like torch.var(x, axis, correction=…).</summary>
    /// <param name="axis">The axis to reduce; negative counts from the end.</param>
    /// <param name="keepDim">Keep the reduced axis as size 1 instead of removing it.</param>
    /// <param name="correction">Subtracted from the count in the divisor: 1 (default) for the unbiased estimate, 0 for
    /// the biased one.</param>
    /// <returns>A new tensor without the axis (size 1 with <paramref name="keepDim"/>), in this tensor's
    /// dtype.</returns>
    public Tensor Var(int axis, bool keepDim = false, int correction = 1) => Var([axis], keepDim, correction);

    /// <summary>The variance over several axes (empty: all), like torch.var(x, axes, correction=…, keepdim=…).</summary>
    /// <remarks>
    /// y = Σ(x − x̄)²/max(0, n − correction), n the number of elements reduced into each output and x̄ their mean
    /// (correction 1: the unbiased estimate; 0: the population variance). n ≤ correction divides by zero: NaN or ∞,
    /// as in PyTorch. Composed of mean, subtraction, square and sum, so the gradient is
    /// ∂y/∂x = 2(x − x̄)/max(0, n − correction) (the mean's own term sums to zero), differentiable again.
    /// </remarks>
    /// <param name="axes">The axes to reduce (empty: all); negative values count from the end.</param>
    /// <param name="keepDim">Keep the reduced axes as size 1 instead of removing them.</param>
    /// <param name="correction">Subtracted from the count in the divisor: 1 (default) for the unbiased estimate, 0 for
    /// the biased one.</param>
    /// <returns>A new tensor without the reduced axes (size 1 with <paramref name="keepDim"/>), in this tensor's
    /// dtype.</returns>
    public Tensor Var(int[] axes, bool keepDim = false, int correction = 1)
    {
        ArgumentNullException.ThrowIfNull(axes);
        int[] normalized = Shapes.NormalizeAxes(axes, Rank);
        int count = 1;
        foreach (int a in normalized)
        {
            count *= a < Rank ? _shape[a] : 1;
        }
        var centered = this - Mean(normalized, keepDim: true);
        return centered.Square().Sum(normalized, keepDim).Scale(1d / Math.Max(0, count - correction));
    }

    /// <summary>The standard deviation of all elements with Bessel's correction (torch.std()).</summary>
    /// <returns>A zero-dimensional tensor of this tensor's dtype.</returns>
    public Tensor Std() => Std([], keepDim: false, correction: 1);

    /// <summary>The standard deviation over one axis (negative counts from the end).</summary>
    /// <param name="axis">The axis to reduce; negative counts from the end.</param>
    /// <param name="keepDim">Keep the reduced axis as size 1 instead of removing it.</param>
    /// <param name="correction">Subtracted from the count in the divisor: 1 (default) for the unbiased estimate, 0 for
    /// the biased one.</param>
    /// <returns>A new tensor without the axis (size 1 with <paramref name="keepDim"/>), in this tensor's
    /// dtype.</returns>
    public Tensor Std(int axis, bool keepDim = false, int correction = 1) => Std([axis], keepDim, correction);

    /// <summary>The standard deviation over several axes (empty: all): √<see cref="Var(int[], bool, int)"/>.</summary>
    /// <remarks>
    /// y = √var; ∂y/∂x = (x − x̄)/(y·max(0, n − correction)) through the square root's rule (∞·0 = NaN where the
    /// variance is 0, as in PyTorch).
    /// </remarks>
    /// <param name="axes">The axes to reduce (empty: all); negative values count from the end.</param>
    /// <param name="keepDim">Keep the reduced axes as size 1 instead of removing them.</param>
    /// <param name="correction">Subtracted from the count in the divisor: 1 (default) for the unbiased estimate, 0 for
    /// the biased one.</param>
    /// <returns>A new tensor without the reduced axes (size 1 with <paramref name="keepDim"/>), in this tensor's
    /// dtype.</returns>
    public Tensor Std(int[] axes, bool keepDim = false, int correction = 1) => Var(axes, keepDim, correction).Sqrt();
}
