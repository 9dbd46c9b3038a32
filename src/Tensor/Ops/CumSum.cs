using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>Running sums along <paramref name="axis"/>, like torch.cumsum: y[…, j, …] = Σ_{l ≤ j} x[…, l, …].</summary>
    /// <remarks>
    /// Each element of the output depends on every earlier element of its line, so the gradient is the running sum
    /// taken from the other end: ∂L/∂x[j] = Σ_{l ≥ j} ∂L/∂y[l] = Flip(CumSum(Flip(∂L/∂y))). One thread per line sums
    /// in order, as PyTorch does on the CPU.
    /// </remarks>
    /// <param name="axis">The axis to sum along; negative counts from the end.</param>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The axis is outside −rank..rank−1.</exception>
    public Tensor CumSum(int axis)
    {
        if (Rank == 0)
        {
            Shapes.NormalizeAxis(axis, 1);
            return Clone();
        }
        int a = Shapes.NormalizeAxis(axis, Rank);
        var result = CumSumRaw(this, a);
        return Record(result, "cumsum", [this], g => [g.Flip(a).CumSum(a).Flip(a)], Saves.Nothing);
    }
}
