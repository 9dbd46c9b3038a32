namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// The lower triangle of the last two dimensions, zeros above it, like torch.tril: elements with
    /// column − row ≤ <paramref name="diagonal"/> are kept (0: the main diagonal and below; −1 excludes it).
    /// </summary>
    /// <remarks>y = x where j − i ≤ d, else 0 (a select: a NaN above the triangle gives 0). ∂L/∂x = Tril(∂L/∂y, d).</remarks>
    /// <param name="diagonal">Which diagonal bounds the kept part (default 0, the main one; positive above, negative
    /// below).</param>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    /// <exception cref="ArgumentException">The tensor has fewer than 2 dimensions.</exception>
    public Tensor Tril(int diagonal = 0)
    {
        var result = TriangleRaw(this, diagonal, lower: true);
        return Record(result, "tril", [this], g => [g.Tril(diagonal)], Saves.Nothing);
    }

    /// <summary>
    /// The upper triangle of the last two dimensions, zeros below it, like torch.triu: elements with
    /// column − row ≥ <paramref name="diagonal"/> are kept.
    /// </summary>
    /// <remarks>y = x where j − i ≥ d, else 0. ∂L/∂x = Triu(∂L/∂y, d).</remarks>
    /// <param name="diagonal">Which diagonal bounds the kept part (default 0, the main one; positive above, negative
    /// below).</param>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    /// <exception cref="ArgumentException">The tensor has fewer than 2 dimensions.</exception>
    public Tensor Triu(int diagonal = 0)
    {
        var result = TriangleRaw(this, diagonal, lower: false);
        return Record(result, "triu", [this], g => [g.Triu(diagonal)], Saves.Nothing);
    }

    /// <summary>The n×n identity matrix (torch.eye(n)).</summary>
    /// <param name="n">The number of rows and columns (≥ 0).</param>
    /// <param name="device">Where the tensor lives; null for <see cref="Device.Default"/>.</param>
    /// <param name="dtype">The element type (default float32).</param>
    /// <returns>A new [n, n] tensor.</returns>
    /// <exception cref="ArgumentOutOfRangeException">n is negative.</exception>
    public static Tensor Eye(int n, Device? device = null, DType dtype = DType.Float32)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        using var ones = Ones([n, n], device, dtype);
        using var upper = ones.Triu();
        return upper.Tril();
    }

    /// <summary>
    /// <paramref name="steps"/> evenly spaced float32 values from <paramref name="start"/> to <paramref name="end"/>
    /// inclusive, like torch.linspace: value i is start + i·step for the first half and end − (steps − 1 − i)·step for
    /// the second, step = (end − start)/(steps − 1) in float32, so both ends are exact.
    /// </summary>
    /// <param name="start">The first value.</param>
    /// <param name="end">The last value.</param>
    /// <param name="steps">How many values (≥ 0).</param>
    /// <param name="device">Where the tensor lives; null for <see cref="Device.Default"/>.</param>
    /// <returns>A new 1-D float32 tensor of length <paramref name="steps"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">steps is negative.</exception>
    public static Tensor Linspace(float start, float end, int steps, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        var values = new float[steps];
        if (steps == 1)
        {
            values[0] = start;
        }
        else if (steps > 1)
        {
            float step = (end - start) / (steps - 1);
            int half = steps / 2;
            for (int i = 0; i < steps; i++)
            {
                values[i] = i < half ? start + step * i : end - step * (steps - 1 - i);
            }
        }
        return FromArray(values, [steps], device);
    }
}
