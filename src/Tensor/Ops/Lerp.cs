using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// Linear interpolation x + w·(end − x) element-wise with broadcasting (torch.lerp with a scalar weight).
    /// </summary>
    /// <remarks>
    /// Evaluated as torch does: x + w·(end − x) for |w| &lt; ½, else end − (end − x)·(1 − w), so w = 0 and w = 1 give
    /// x and end exactly. ∂y/∂x = 1 − w, ∂y/∂end = w, each summed back to its input's shape.
    /// </remarks>
    /// <param name="end">The end points; broadcasts with this tensor.</param>
    /// <param name="weight">The weight w: 0 gives this tensor, 1 gives <paramref name="end"/>.</param>
    /// <returns>A new tensor of the broadcast shape.</returns>
    public Tensor Lerp(Tensor end, float weight)
    {
        ArgumentNullException.ThrowIfNull(end);
        var start = this;
        var result = Zip(start, end, "lerp", new LerpOp(weight));
        return Record(result, "lerp", [start, end], g => [
            start.RequiresGrad ? SumToShape(g * (1f - weight), start._shape) : null,
            end.RequiresGrad ? SumToShape(g * weight, end._shape) : null,
        ], Saves.Nothing);
    }
}
