using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// One-hot rows for an Int32 <paramref name="index"/>, like torch.nn.functional.one_hot: shape index.Shape +
    /// [classes], 1 where the last coordinate equals the index value, else 0. With <paramref name="classes"/> −1 the
    /// count is the largest index + 1. The result is Int32 by default (PyTorch gives an integer tensor too); ask for
    /// <see cref="DType.Float32"/> to use it in arithmetic directly. Not differentiable (indices carry no gradient).
    /// </summary>
    /// <exception cref="ArgumentException">The index is not Int32, or classes is below −1.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index value is outside [0, classes).</exception>
    public static Tensor OneHot(Tensor index, int classes = -1, DType dtype = DType.Int32)
    {
        ArgumentNullException.ThrowIfNull(index);
        if (classes < -1)
        {
            throw new ArgumentException($"OneHot: classes must be −1 (inferred) or at least 0, got {classes}",
                nameof(classes));
        }
        if (classes == -1)
        {
            var values = CheckIndexRange(index, index, int.MaxValue, -1, "OneHot");
            classes = values.Length == 0 ? 0 : values.Max() + 1;
        }
        else
        {
            CheckIndexRange(index, index, classes, -1, "OneHot");
        }
        using var dense = index.Materialize();
        using var flat = OneHotRaw(dense, classes, dtype);
        return flat.Reshape([.. index._shape, classes]);
    }
}
