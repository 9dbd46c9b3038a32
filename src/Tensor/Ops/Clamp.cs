using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// min(max(x, <paramref name="min"/>), <paramref name="max"/>) element-wise (torch.clamp); a null bound is not
    /// applied. NaN passes through; min &gt; max gives max everywhere, as in PyTorch.
    /// </summary>
    /// <remarks>∂y/∂x = [min ≤ x ≤ max] (1 at the bounds themselves, as PyTorch's), a select of the gradient.</remarks>
    /// <param name="min">The lower bound, or null for none.</param>
    /// <param name="max">The upper bound, or null for none.</param>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    /// <exception cref="ArgumentException">Both bounds are null.</exception>
    public Tensor Clamp(float? min, float? max)
    {
        if (min is null && max is null)
        {
            throw new ArgumentException("Clamp: at least one of min and max must be given (both are null)");
        }
        float lo = min ?? float.NegativeInfinity, hi = max ?? float.PositiveInfinity;
        var result = Map(this, new ClampOp(lo, hi));
        return Record(result, "clamp", [this], g =>
        {
            using var ge = Ge(lo);
            using var le = Le(hi);
            var inside = ge * le;
            return [KeepWhere(inside, g, keep: true)];
        });
    }

    /// <summary>max(x, <paramref name="min"/>) element-wise (torch.clamp_min).</summary>
    /// <remarks>∂y/∂x = [x ≥ min].</remarks>
    /// <param name="min">The lower bound.</param>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor ClampMin(float min) => Clamp(min, null);

    /// <summary>min(x, <paramref name="max"/>) element-wise (torch.clamp_max).</summary>
    /// <remarks>∂y/∂x = [x ≤ max].</remarks>
    /// <param name="max">The upper bound.</param>
    /// <returns>A new tensor of this tensor's shape and dtype.</returns>
    public Tensor ClampMax(float max) => Clamp(null, max);

    /// <summary>
    /// min(max(x, <paramref name="min"/>), <paramref name="max"/>) element-wise with broadcasting over all three
    /// (torch.clamp with tensor bounds); a null bound is not applied; NaN in any operand propagates.
    /// </summary>
    /// <remarks>
    /// PyTorch's gradients: ∂y/∂x = [min ≤ x ≤ max]; ∂y/∂min = [x &lt; min ∧ min &lt; max]; ∂y/∂max = [x &gt; max ∨ max &lt; min]
    /// (with one bound: [x &lt; min], [x &gt; max]). Each is a select of the gradient summed back to its input's shape.
    /// </remarks>
    /// <param name="min">The lower bounds (broadcast), or null for none.</param>
    /// <param name="max">The upper bounds (broadcast), or null for none.</param>
    /// <returns>A new tensor of the shape the three operands broadcast to.</returns>
    /// <exception cref="ArgumentException">Both bounds are null, shapes do not broadcast, or devices or dtypes differ.</exception>
    public Tensor Clamp(Tensor? min, Tensor? max)
    {
        if (min is null && max is null)
        {
            throw new ArgumentException("Clamp: at least one of min and max must be given (both are null)");
        }
        var x = this;
        var lowered = min is null ? x : Zip<MaximumOp>(x, min, "clamp");
        var result = max is null ? lowered : Zip<MinimumOp>(lowered, max, "clamp");
        if (min is not null && max is not null)
        {
            lowered.Dispose();
        }
        Tensor[] inputs = min is null ? [x, max!] : max is null ? [x, min] : [x, min, max];
        return Record(result, "clamp", inputs, g =>
        {
            var grads = new List<Tensor?>();
            if (x.RequiresGrad)
            {
                var inside = min is null ? x.Le(max!) : max is null ? x.Ge(min) : x.Ge(min) * x.Le(max);
                grads.Add(SumToShape(KeepWhere(inside, g, keep: true), x._shape));
            }
            else
            {
                grads.Add(null);
            }
            if (min is not null)
            {
                grads.Add(min.RequiresGrad
                    ? SumToShape(KeepWhere(max is null ? x.Lt(min) : x.Lt(min) * min.Lt(max), g, keep: true), min._shape)
                    : null);
            }
            if (max is not null)
            {
                Tensor? maxGrad = null;
                if (max.RequiresGrad)
                {
                    // [x > max] ∨ [max < min], written a + b − a·b for 0/1 masks.
                    var mask = min is null ? x.Gt(max) : x.Gt(max) + max.Lt(min) - x.Gt(max) * max.Lt(min);
                    maxGrad = SumToShape(KeepWhere(mask, g, keep: true), max._shape);
                }
                grads.Add(maxGrad);
            }
            return [.. grads];
        });
    }
}
