using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// This tensor on another device (itself when already there). Differentiable: the gradient moves back.
    /// </summary>
    /// <param name="device">The device to copy to.</param>
    /// <returns>This tensor when already on <paramref name="device"/>, else a copy there.</returns>
    public Tensor To(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (ReferenceEquals(device, Device))
        {
            return this;
        }
        var source = Device;
        var result = DType switch
        {
            DType.Float32 => FromArray(ToArray(), _shape, device),
            DType.Float64 => FromArray(ToDoubleArray(), _shape, device),
            _ => FromArray(ToInt32Array(), _shape, device),
        };
        return Record(result, "to", [this], g => [g.To(source)], Saves.Nothing);
    }

    /// <summary>
    /// This tensor converted to another element type (itself when already that type). Differentiable between float
    /// types; to Int32, values are truncated toward zero (NaN and out-of-range values are undefined, as in PyTorch)
    /// and the result has no gradient.
    /// </summary>
    /// <param name="dtype">The element type to convert to.</param>
    /// <returns>This tensor when already of <paramref name="dtype"/>, else a converted copy of its shape.</returns>
    public Tensor To(DType dtype)
    {
        if (dtype == DType)
        {
            return this;
        }
        var source = DType;
        using var dense = Materialize();
        var result = Empty(_shape, dtype, Device);
        Convert(dense, result);
        return Record(result, "to", [this], g => [g.To(source)], Saves.Nothing);
    }
}
