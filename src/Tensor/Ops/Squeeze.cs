using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>A view with every size-1 dimension removed, like torch.squeeze(). No data is copied.</summary>
    /// <remarks>The elements are unchanged; the gradient is reshaped back to this tensor's shape.</remarks>
    /// <returns>A view of this tensor's memory without its size-1 dimensions.</returns>
    public Tensor Squeeze()
    {
        var shape = new List<int>(Rank);
        var strides = new List<int>(Rank);
        for (int d = 0; d < Rank; d++)
        {
            if (_shape[d] != 1)
            {
                shape.Add(_shape[d]);
                strides.Add(Strides[d]);
            }
        }
        return SqueezeView([.. shape], [.. strides]);
    }

    /// <summary>
    /// A view with dimension <paramref name="axis"/> removed when its size is 1 (negative counts from the end). As in
    /// PyTorch, a dimension of another size is left in place: the result then has this tensor's shape.
    /// </summary>
    /// <remarks>The elements are unchanged; the gradient is reshaped back to this tensor's shape.</remarks>
    /// <param name="axis">The dimension to remove; negative counts from the end.</param>
    /// <returns>A view of this tensor's memory.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is outside −rank..rank−1.</exception>
    public Tensor Squeeze(int axis)
    {
        int a = Shapes.NormalizeAxis(axis, Rank);
        if (Rank == 0 || _shape[a] != 1)
        {
            return SqueezeView(_shape, Strides);
        }
        return SqueezeView([.. _shape[..a], .. _shape[(a + 1)..]], [.. Strides[..a], .. Strides[(a + 1)..]]);
    }

    private Tensor SqueezeView(int[] shape, int[] strides)
    {
        var result = View(shape, strides, Offset);
        int[] original = _shape;
        return Record(result, "squeeze", [this], g => [g.Reshape(original)], Saves.Nothing);
    }
}
