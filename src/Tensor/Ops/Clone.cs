namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>A contiguous copy that does not share memory. Differentiable.</summary>
    /// <remarks>∂/∂x = 1: the gradient passes through unchanged.</remarks>
    /// <returns>A new contiguous tensor with this tensor's shape, dtype, device and values.</returns>
    public Tensor Clone()
    {
        var result = Empty(_shape, DType, Device).CopyFrom(this);
        return Record(result, "clone", [this], g => [g], Saves.Nothing);
    }
}
