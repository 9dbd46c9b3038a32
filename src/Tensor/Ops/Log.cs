using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>Natural logarithm element-wise (NaN below 0, −∞ at 0).</summary>
    /// <remarks>d/dx ln x = 1/x.</remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Log()
    {
        var result = Map<LogOp>(this);
        return Record(result, "log", [this], g => [g / this]);
    }
}
