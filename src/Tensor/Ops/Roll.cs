using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// The elements shifted by <paramref name="shift"/> along <paramref name="axis"/>, wrapping around, like
    /// torch.roll(x, shift, axis): y[(j + shift) mod n] = x[j]. A new contiguous tensor.
    /// </summary>
    /// <remarks>
    /// Built as Cat of the axis's last s = shift mod n elements and its first n − s, so the gradient rolls back:
    /// ∂L/∂x = Roll(∂L/∂y, −shift).
    /// </remarks>
    /// <param name="shift">How many places to shift (negative shifts back).</param>
    /// <param name="axis">The axis to roll along; negative counts from the end.</param>
    /// <returns>A new contiguous tensor of this tensor's shape and dtype.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The axis is outside −rank..rank−1.</exception>
    public Tensor Roll(int shift, int axis)
    {
        int a = IndexAxis(axis, "Roll");
        int n = _shape[a];
        int s = n == 0 ? 0 : (int)(((long)shift % n + n) % n);
        if (s == 0)
        {
            return Clone();
        }
        return Cat([Slice(a, n - s, n), Slice(a, 0, n - s)], a);
    }
}
