using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>x where x &gt; 0, else <paramref name="negativeSlope"/>·x, element-wise.</summary>
    /// <remarks>
    /// The derivative is 1 where x &gt; 0 and α = <paramref name="negativeSlope"/> elsewhere (x = 0 included, like
    /// PyTorch), a constant mask.
    /// </remarks>
    public Tensor LeakyRelu(float negativeSlope = 0.01f)
    {
        var result = Map(this, new LeakyReluOp(negativeSlope));
        return Record(result, "leaky_relu", [this], g => [g * Map(this, new LeakyReluMaskOp(negativeSlope))]);
    }
}
