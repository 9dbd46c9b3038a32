using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// A view of elements <paramref name="start"/>..<paramref name="end"/>−1 along <paramref name="axis"/>, like
    /// Python's <c>x[..., start:end]</c> on that axis. No data is copied.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Bounds follow Python and PyTorch slicing rather than throwing: a negative <paramref name="start"/> or
    /// <paramref name="end"/> counts from the end of the axis, both are then clamped to 0..size, and an
    /// <paramref name="end"/> at or before <paramref name="start"/> gives an empty slice. So <c>Slice(0, 1,
    /// int.MaxValue)</c> drops the first row and <c>Slice(0, 0, -1)</c> the last. Only the axis is checked.
    /// </para>
    /// <para>
    /// y = x[start:end] along the axis. The gradient puts ∂L/∂y back in place and zeros elsewhere:
    /// ∂L/∂x = Cat([0 (start rows), ∂L/∂y, 0 (size − end rows)], axis), built from differentiable ops so that
    /// higher-order gradients flow through it.
    /// </para>
    /// </remarks>
    /// <param name="axis">The axis to slice; negative counts from the end.</param>
    /// <param name="start">The first index kept; negative counts from the end; clamped to 0..size.</param>
    /// <param name="end">One past the last index kept; negative counts from the end; clamped to 0..size.</param>
    /// <returns>A view of this tensor's memory.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is outside −rank..rank−1.</exception>
    public Tensor Slice(int axis, int start, int end)
    {
        if (Rank == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(axis),
                $"slice along axis {axis}: a tensor of rank 0 has no axes to slice");
        }
        int a = Shapes.NormalizeAxis(axis, Rank);
        int size = _shape[a];
        int from = ClampSliceBound(start, size);
        int to = Math.Max(from, ClampSliceBound(end, size));
        var shape = (int[])_shape.Clone();
        shape[a] = to - from;
        var result = View(shape, Strides, Offset + from * Strides[a]);
        int[] original = _shape;
        return Record(result, "slice", [this], g => [SliceBackward(g, original, a, from, to)], Saves.Nothing);
    }

    /// <summary>
    /// A view of every <paramref name="step"/>-th element from <paramref name="start"/> up to (not including)
    /// <paramref name="end"/> along <paramref name="axis"/>, like Python's <c>x[..., start:end:step]</c>; bounds as in
    /// <see cref="Slice(int, int, int)"/>. No data is copied: the view's stride is the axis's stride times the step.
    /// </summary>
    /// <remarks>
    /// y[j] = x[start + j·step], j &lt; ⌈(end − start) / step⌉. The gradient puts ∂L/∂y back at those positions and
    /// zeros between them: ∂L/∂y is interleaved with step − 1 zeros (a Cat and a Reshape), trimmed and placed as for
    /// the unit-step slice — differentiable again.
    /// </remarks>
    /// <param name="axis">The axis to slice; negative counts from the end.</param>
    /// <param name="start">The first index kept; negative counts from the end; clamped to 0..size.</param>
    /// <param name="end">The bound, not included; negative counts from the end; clamped to 0..size.</param>
    /// <param name="step">The stride between kept elements (positive).</param>
    /// <returns>A view of this tensor's memory.</returns>
    /// <exception cref="ArgumentOutOfRangeException">
    /// The axis is outside −rank..rank−1, or <paramref name="step"/> is not positive (PyTorch has no negative steps:
    /// use <see cref="Flip"/>).
    /// </exception>
    public Tensor Slice(int axis, int start, int end, int step)
    {
        if (step == 1)
        {
            return Slice(axis, start, end);
        }
        if (step <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(step),
                $"slice step must be positive, got {step}; flip the tensor for a reversed order");
        }
        if (Rank == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(axis),
                $"slice along axis {axis}: a tensor of rank 0 has no axes to slice");
        }
        int a = Shapes.NormalizeAxis(axis, Rank);
        int size = _shape[a];
        int from = ClampSliceBound(start, size);
        int to = Math.Max(from, ClampSliceBound(end, size));
        int count = (to - from + step - 1) / step;
        var shape = (int[])_shape.Clone();
        shape[a] = count;
        var strides = (int[])Strides.Clone();
        strides[a] *= step;
        var result = View(shape, strides, Offset + (count == 0 ? 0 : from * Strides[a]));
        int[] original = _shape;
        return Record(result, "slice", [this], g =>
        {
            if (count == 0)
            {
                return [Zeros(original, g.Device, g.DType)];
            }
            int[] withGap = [.. shape[..(a + 1)], step - 1, .. shape[(a + 1)..]];
            var spread = (int[])shape.Clone();
            spread[a] = count * step;
            using var gap = Zeros(withGap, g.Device, g.DType);
            var interleaved = Cat([g.Unsqueeze(a + 1), gap], a + 1).Reshape(spread);
            int length = (count - 1) * step + 1;
            return [SliceBackward(interleaved.Slice(a, 0, length), original, a, from, from + length)];
        }, Saves.Nothing);
    }

    private static int ClampSliceBound(int bound, int size)
    {
        long b = bound < 0 ? (long)bound + size : bound;
        return (int)Math.Clamp(b, 0, size);
    }

    /// <summary>∂L/∂y put at from..to−1 along <paramref name="axis"/> in zeros of <paramref name="shape"/>.</summary>
    private static Tensor SliceBackward(Tensor g, int[] shape, int axis, int from, int to)
    {
        if (from == to)
        {
            return Zeros(shape, g.Device, g.DType);
        }
        if (from == 0 && to == shape[axis])
        {
            return g;
        }
        var parts = new List<Tensor>(3);
        if (from > 0)
        {
            var before = (int[])shape.Clone();
            before[axis] = from;
            parts.Add(Zeros(before, g.Device, g.DType));
        }
        parts.Add(g);
        if (to < shape[axis])
        {
            var after = (int[])shape.Clone();
            after[axis] = shape[axis] - to;
            parts.Add(Zeros(after, g.Device, g.DType));
        }
        var placed = Cat([.. parts], axis);
        foreach (var part in parts)
        {
            if (!ReferenceEquals(part, g))
            {
                part.Dispose();
            }
        }
        return placed;
    }
}
