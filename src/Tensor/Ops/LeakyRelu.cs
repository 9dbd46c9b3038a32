using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>x where x &gt; 0, else <paramref name="negativeSlope"/>·x, element-wise.</summary>
    /// <remarks>
    /// The derivative is 1 where x &gt; 0 and α = <paramref name="negativeSlope"/> elsewhere (x = 0 included, like
    /// PyTorch), a constant mask.
    /// </remarks>
    /// <param name="negativeSlope">The slope for x ≤ 0 (default 0.01).</param>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor LeakyRelu(float negativeSlope = 0.01f)
    {
        var result = Map(this, new LeakyReluOp(negativeSlope));
        return Record(result, "leaky_relu", [this], g => [g * Map(this, new LeakyReluMaskOp(negativeSlope))]);
    }
}
