using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// Moves this tensor's memory (and its gradient's) to <paramref name="device"/> in place, keeping the tensor
    /// object, as PyTorch's <c>Module.to</c> replaces a parameter's data: whoever holds this tensor (a module's
    /// property, a list of parameters) sees it on the new device. Views made before keep the old memory. For leaves
    /// only (parameters and buffers); a recorded result would leave its graph on the old device.
    /// </summary>
    internal void Relocate(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (ReferenceEquals(device, Device))
        {
            return;
        }
        if (GradFn is not null)
        {
            throw new InvalidOperationException(
                $"only leaf tensors move in place; this one of shape {Shapes.Format(_shape)} comes from " +
                $"'{GradFn.Op}'");
        }
        var old = Storage;
        int length = checked((int)old.Length);
        Storage moved;
        if (old.DType == DType.Float32)
        {
            var buffer = device.Pool.Rent<float>(length, guarded: false);
            buffer.CopyFrom(old.Float32!.ToArray());
            moved = new Storage(buffer);
        }
        else
        {
            var buffer = device.Pool.Rent<double>(length, guarded: false);
            buffer.CopyFrom(old.Float64!.ToArray());
            moved = new Storage(buffer);
        }
        if (OwnerScope is null)
        {
            moved.Guard(); // no scope will dispose it, as for a tensor made outside any scope
        }
        _storage = moved;
        _view = null;
        old.Release();
        Grad?.Relocate(device);
    }
}
