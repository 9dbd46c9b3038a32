using ILGPU;

namespace MicrogradPlus.Kernels;

/// <summary>
/// The work for one element index. A body is a plain struct of views and scalars; <see cref="GridStride.Run{TBody}"/>
/// runs it on an accelerator, and the CPU device may also run the very same body as a host loop.
/// </summary>
internal interface IElementBody
{
    /// <summary>Does the work for element <paramref name="index"/> (0 ≤ index &lt; length).</summary>
    void Execute(int index);
}

/// <summary>The one generic element-wise kernel: a grid-stride loop over any <see cref="IElementBody"/>.</summary>
internal static class GridStride
{
    /// <summary>
    /// Runs <paramref name="body"/> for every index below <paramref name="length"/>. The stride is read once before the
    /// loop: on ILGPU's CPU accelerator re-reading the index intrinsics per iteration costs 30× (DESIGN.md).
    /// </summary>
    public static void Run<TBody>(TBody body, int length) where TBody : struct, IElementBody
    {
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < length; i += stride)
        {
            body.Execute(i);
        }
    }
}
