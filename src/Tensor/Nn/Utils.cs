namespace MicrogradPlus.Nn;

/// <summary>Training utilities, as torch.nn.utils: gradient clipping.</summary>
public static class Utils
{
    /// <summary>
    /// Scales the gradients of <paramref name="parameters"/> together so that their total norm is at most
    /// <paramref name="maxNorm"/> (torch.nn.utils.clip_grad_norm_), and returns the total norm before clipping as a
    /// one-element tensor on the gradients' device: nothing is read back to the host unless the caller asks (e.g.
    /// with <see cref="Tensor.Item"/>). Parameters without a gradient are skipped; with none at all the result is 0.
    /// </summary>
    /// <remarks>
    /// total = (Σ over every gradient element |g|ᵖ)^(1/p) for p = <paramref name="normType"/> (the p-norm of the
    /// per-parameter norms, as torch), or max |g| for p = ∞ (<see cref="float.PositiveInfinity"/>); every gradient is
    /// multiplied, on the device, by min(1, maxNorm / (total + 1e-6)). Not recorded in the graph. A few launches per
    /// parameter (its partial norm, its scaling) and a few for the total.
    /// </remarks>
    /// <param name="parameters">The parameters whose gradients are scaled, e.g.
    /// <see cref="Module.Parameters"/>.</param>
    /// <param name="maxNorm">The largest total norm allowed, ≥ 0.</param>
    /// <param name="normType">p of the p-norm (default 2); <see cref="float.PositiveInfinity"/> for the max
    /// norm.</param>
    /// <returns>The total norm before clipping, as a zero-dimensional tensor.</returns>
    public static Tensor ClipGradNorm(IEnumerable<Tensor> parameters, float maxNorm, float normType = 2f)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(normType > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(normType),
                $"ClipGradNorm: the norm type must be positive or infinity, got {normType}");
        }
        if (float.IsNaN(maxNorm) || maxNorm < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), $"ClipGradNorm: maxNorm must be ≥ 0, got {maxNorm}");
        }
        var all = parameters.ToList();
        var grads = all.Where(p => p.Grad is not null).Select(p => p.Grad!).ToList();
        using var noGrad = Autograd.NoGrad();
        if (grads.Count == 0)
        {
            return Tensor.Zeros([], all.Count > 0 ? all[0].Device : Device.Default);
        }
        var (device, dtype) = (grads[0].Device, grads[0].DType);
        bool infinity = float.IsPositiveInfinity(normType);
        Tensor total;
        using (var temporaries = Tensor.Scope())
        {
            var partials = new Tensor[grads.Count];
            for (int i = 0; i < grads.Count; i++)
            {
                var g = grads[i];
                var partial = infinity ? g.Abs().Max()
                    : normType == 2f ? (g * g).Sum()
                    : normType == 1f ? g.Abs().Sum()
                    : g.Abs().Pow(normType).Sum();
                // Gradients on another device (a model split across devices): its one number moves, as in torch.
                partials[i] = partial.To(device).To(dtype);
            }
            var stacked = Tensor.Stack(partials);
            total = infinity ? stacked.Max()
                : normType == 2f ? stacked.Sum().Sqrt()
                : normType == 1f ? stacked.Sum()
                : stacked.Sum().Pow(1f / normType);
            var coefficient = (maxNorm / (total + 1e-6f)).Minimum(Tensor.Ones([], device, dtype));
            foreach (var g in grads)
            {
                g.CopyFrom(g * coefficient.To(g.Device).To(g.DType));
            }
            temporaries.MoveOut(total);
        }
        return total;
    }

    /// <summary>
    /// Clamps every gradient element of <paramref name="parameters"/> into [−clipValue, clipValue] in place
    /// (torch.nn.utils.clip_grad_value_). Parameters without a gradient are skipped.
    /// </summary>
    /// <remarks>g = min(max(g, −c), c), on the device, not recorded in the graph.</remarks>
    /// <param name="parameters">The parameters whose gradients are clamped, e.g.
    /// <see cref="Module.Parameters"/>.</param>
    /// <param name="clipValue">The largest absolute value allowed.</param>
    public static void ClipGradValue(IEnumerable<Tensor> parameters, float clipValue)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (float.IsNaN(clipValue) || clipValue < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(clipValue),
                $"ClipGradValue: clipValue must be ≥ 0, got {clipValue}");
        }
        using var noGrad = Autograd.NoGrad();
        using var temporaries = Tensor.Scope();
        foreach (var g in parameters.Select(p => p.Grad).OfType<Tensor>())
        {
            var low = Tensor.Full([], -clipValue, g.Device, g.DType);
            var high = Tensor.Full([], clipValue, g.Device, g.DType);
            g.CopyFrom(g.Maximum(low).Minimum(high));
        }
    }
}
