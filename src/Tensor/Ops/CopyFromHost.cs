using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// Overwrites this tensor's elements with host values, row-major as <see cref="FromArray(float[], int[], Device?,
    /// bool)"/> reads them: the way to feed each batch into an input tensor made once, e.g. for a step captured with
    /// <see cref="CaptureExtensions.Capture"/>. A float64 tensor takes the values widened. Returns this tensor.
    /// </summary>
    /// <param name="values">Exactly <see cref="Size"/> values.</param>
    /// <returns>This tensor, for chaining.</returns>
    /// <exception cref="ArgumentException">A count other than <see cref="Size"/>, or an Int32 tensor.</exception>
    public Tensor CopyFrom(ReadOnlySpan<float> values)
    {
        CheckHostCopy(values.Length, DType != DType.Int32, "float");
        if (DType == DType.Float64)
        {
            var widened = new double[values.Length];
            for (int i = 0; i < widened.Length; i++)
            {
                widened[i] = values[i];
            }
            return CopyFromHost<double>(widened);
        }
        return CopyFromHost(values);
    }

    /// <summary>
    /// Overwrites this Int32 tensor's elements (class indices, say) with host values, row-major. Returns this tensor.
    /// </summary>
    /// <param name="values">Exactly <see cref="Size"/> values.</param>
    /// <returns>This tensor, for chaining.</returns>
    /// <exception cref="ArgumentException">A count other than <see cref="Size"/>, or a float tensor.</exception>
    public Tensor CopyFrom(ReadOnlySpan<int> values)
    {
        CheckHostCopy(values.Length, DType == DType.Int32, "int");
        return CopyFromHost(values);
    }

    private void CheckHostCopy(int count, bool accepted, string what)
    {
        if (!accepted)
        {
            throw new ArgumentException($"CopyFrom: {what} values cannot go into a {DType} tensor");
        }
        if (count != Size)
        {
            throw new ArgumentException(
                $"CopyFrom: {count} values for a tensor of shape {Shapes.Format(_shape)} ({Size} elements)");
        }
        RequireWritable();
    }

    // Straight into this tensor's memory when it is one contiguous run; through a temporary otherwise.
    private Tensor CopyFromHost<T>(ReadOnlySpan<T> values) where T : unmanaged
    {
        if (IsContiguous)
        {
            Storage.Buffer<T>()!.CopyFrom(Offset, values);
            Storage.BumpVersion();
            return this;
        }
        using var staged = Empty(_shape, DType, Device);
        staged.CopyFromHost(values);
        return CopyFrom(staged);
    }
}
