using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>hardswish(x) = x·relu6(x + 3)/6 element-wise (torch.nn.functional.hardswish).</summary>
    /// <remarks>
    /// PyTorch's derivative: 0 for x &lt; −3, x/3 + ½ for −3 ≤ x ≤ 3, 1 above (and for NaN); written with selects and
    /// tensor ops, so it is differentiable again (second derivative 1/3 inside).
    /// </remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Hardswish()
    {
        var result = Map<HardswishOp>(this);
        return Record(result, "hardswish", [this], g =>
        {
            var below = Lt(-3f);
            var inside = Le(3f);
            return [KeepWhere(below, Where(inside, g * (Scale(1d / 3d) + 0.5f), g), keep: false)];
        });
    }

    /// <summary>hardsigmoid(x) = relu6(x + 3)/6 element-wise (torch.nn.functional.hardsigmoid).</summary>
    /// <remarks>hardsigmoid'(x) = 1/6 for −3 &lt; x &lt; 3, else 0 (PyTorch's open interval).</remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Hardsigmoid()
    {
        var result = Map<HardsigmoidOp>(this);
        return Record(result, "hardsigmoid", [this], g =>
        {
            using var gt = Gt(-3f);
            using var lt = Lt(3f);
            var inside = gt * lt;
            return [KeepWhere(inside, g, keep: true).Scale(1d / 6d)];
        });
    }

    /// <summary>
    /// hardtanh(x) = min(max(x, <paramref name="minValue"/>), <paramref name="maxValue"/>) element-wise
    /// (torch.nn.functional.hardtanh); NaN passes through.
    /// </summary>
    /// <remarks>
    /// hardtanh'(x) = 0 for x ≤ min or x ≥ max (0 at the bounds), else 1 (NaN included), as PyTorch's backward.
    /// </remarks>
    /// <param name="minValue">The lower bound (default −1).</param>
    /// <param name="maxValue">The upper bound (default 1); not below <paramref name="minValue"/>.</param>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    /// <exception cref="ArgumentException"><paramref name="minValue"/> is above <paramref name="maxValue"/>.</exception>
    public Tensor Hardtanh(float minValue = -1f, float maxValue = 1f)
    {
        if (minValue > maxValue)
        {
            throw new ArgumentException(
                $"Hardtanh: minValue {minValue} is above maxValue {maxValue}", nameof(minValue));
        }
        return ClampOpen(minValue, maxValue, "hardtanh");
    }

    /// <summary>relu6(x) = min(max(x, 0), 6) element-wise (torch.nn.functional.relu6).</summary>
    /// <remarks>relu6'(x) = 0 for x ≤ 0 or x ≥ 6, else 1 (NaN included), as PyTorch's.</remarks>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor Relu6() => ClampOpen(0f, 6f, "relu6");

    /// <summary>A clamp whose gradient is stopped at and beyond the bounds: hardtanh's and relu6's.</summary>
    private Tensor ClampOpen(float lo, float hi, string opName)
    {
        var result = Map(this, new ClampOp(lo, hi));
        return Record(result, opName, [this], g =>
        {
            using var atOrBelow = Le(lo);
            using var atOrAbove = Ge(hi);
            var outside = atOrBelow + atOrAbove;
            return [KeepWhere(outside, g, keep: false)];
        });
    }
}
