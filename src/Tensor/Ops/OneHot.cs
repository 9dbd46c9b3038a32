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
    /// <param name="index">An Int32 tensor of class indices, each in [0, classes).</param>
    /// <param name="classes">The number of classes; −1 (default) takes the largest index + 1.</param>
    /// <param name="dtype">The element type of the result (default Int32).</param>
    /// <returns>A new tensor of shape index.Shape + [classes] on the index's device.</returns>
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
