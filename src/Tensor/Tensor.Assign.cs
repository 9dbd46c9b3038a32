using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// Overwrites this tensor's elements with <paramref name="source"/>'s (same shape; moved across devices and
    /// converted across dtypes as needed). Not recorded in the graph: for loading weights and optimizer-style updates.
    /// </summary>
    internal void CopyValuesFrom(Tensor source)
    {
        if (!source.ShapeRef.AsSpan().SequenceEqual(_shape))
        {
            throw new ArgumentException(
                $"cannot copy a tensor of shape {Shapes.Format(source.ShapeRef)} into one of shape {Shapes.Format(_shape)}");
        }
        using var noGrad = Autograd.NoGrad();
        var moved = source.To(Device).To(DType);
        try
        {
            if (DType == DType.Float32)
            {
                Primitives.Copy(moved.F32, F32);
            }
            else
            {
                Primitives.Copy(moved.F64, F64);
            }
        }
        finally
        {
            if (!ReferenceEquals(moved, source))
            {
                moved.Dispose();
            }
        }
    }
}
