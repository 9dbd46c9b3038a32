using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>The error function erf x = (2/√π)·∫₀ˣ e^(−t²) dt element-wise (torch.erf).</summary>
    /// <remarks>
    /// d/dx erf x = (2/√π)·e^(−x²), written with tensor ops so it is differentiable again. The float32 kernel is
    /// accurate to about 2e-7, the float64 one to about 1e-14.
    /// </remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Erf()
    {
        var result = Map<ErfOp>(this);
        return Record(result, "erf", [this], g => [(g * (-Square()).Exp()).Scale(1.1283791670955126)]);
    }
}
