using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// This tensor on another device (itself when already there). Differentiable: the gradient moves back.
    /// </summary>
    public Tensor To(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (ReferenceEquals(device, Device))
        {
            return this;
        }
        var source = Device;
        var result = DType == DType.Float32
            ? FromArray(ToArray(), _shape, device)
            : FromArray(ToDoubleArray(), _shape, device);
        return Record(result, "to", [this], g => [g.To(source)]);
    }

    /// <summary>This tensor converted to another element type (itself when already that type). Differentiable.</summary>
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
        return Record(result, "to", [this], g => [g.To(source)]);
    }
}
