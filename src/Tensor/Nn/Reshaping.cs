using System.Globalization;
using MicrogradPlus.Backends;

namespace MicrogradPlus.Nn;

/// <summary>
/// Merges dimensions <see cref="StartDim"/> to <see cref="EndDim"/> (negative counts from the end) into one, as
/// torch.nn.Flatten: by default [N, a, b, …] becomes [N, a·b·…]. A view when the input's memory allows.
/// </summary>
/// <param name="startDim">The first dimension to merge (default 1); negative counts from the end.</param>
/// <param name="endDim">The last dimension to merge (default −1, the last); negative counts from the end.</param>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    /// <summary>The first dimension merged.</summary>
    public int StartDim { get; } = startDim;

    /// <summary>The last dimension merged.</summary>
    public int EndDim { get; } = endDim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int rank = Math.Max(input.Rank, 1);
        int start = StartDim < 0 ? StartDim + rank : StartDim, end = EndDim < 0 ? EndDim + rank : EndDim;
        if (start < 0 || start >= rank || end < 0 || end >= rank || start > end)
        {
            throw new ArgumentException(
                $"Flatten(start_dim={StartDim}, end_dim={EndDim}) does not fit an input of rank {input.Rank} " +
                $"(shape {Shapes.Format(input.ShapeRef)})");
        }
        if (input.Rank == 0)
        {
            return input.Reshape(1);
        }
        var shape = input.ShapeRef;
        int merged = 1;
        for (int d = start; d <= end; d++)
        {
            merged *= shape[d];
        }
        return input.Reshape([.. shape[..start], merged, .. shape[(end + 1)..]]);
    }

    /// <summary>"start_dim=1, end_dim=-1", as torch prints it.</summary>
    /// <returns>The layer's settings in torch's format.</returns>
    protected override string ExtraRepr() =>
        string.Create(CultureInfo.InvariantCulture, $"start_dim={StartDim}, end_dim={EndDim}");
}

/// <summary>Returns its input unchanged (torch.nn.Identity): a placeholder where a layer is optional.</summary>
public sealed class Identity : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input;
    }
}
