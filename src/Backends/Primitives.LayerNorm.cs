using System.Numerics;
using ILGPU;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

internal static partial class Primitives
{
    /// <summary>
    /// Fused layer normalization over the trailing <paramref name="count"/> elements of contiguous
    /// <paramref name="x"/> (rows of count, one after another): y = (x − μ)/√(σ² + ε) · w + b into contiguous
    /// <paramref name="y"/>, and each row's (μ, 1/√(σ² + ε)) into <paramref name="stats"/> [rows, 2] for
    /// <see cref="LayerNormBackward{T, TMath}"/>. Weight and bias (contiguous, count elements) come together or not
    /// at all. One launch: a thread per row on the kernel executor, one loop over rows on the host.
    /// </summary>
    public static void LayerNorm<T, TMath>(StridedView<T> x, int count, StridedView<T>? weight,
        StridedView<T>? bias, DeviceBuffer<T> y, DeviceBuffer<T> stats, T eps)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        int rows = LayerNormRows(x, count, weight, "layer norm");
        if ((weight is null) != (bias is null))
        {
            throw new ArgumentException("layer norm: weight and bias come together or not at all");
        }
        if (bias is not null)
        {
            RequireRow(bias, count, x.Device, "layer norm bias");
        }
        RequireOutput(y, x.Size, x.Shape, x.Device, "layer norm");
        RequireOutput(stats, 2 * rows, [rows, 2], x.Device, "layer norm statistics");
        if (rows > 0)
        {
            var xv = ViewOf(x);
            x.Device.Executor.LayerNorm<T, TMath>(xv, weight is null ? xv : ViewOf(weight),
                bias is null ? xv : ViewOf(bias), y.View, stats.View, rows, count, eps, weight is not null);
        }
    }

    /// <summary>
    /// Backward of <see cref="LayerNorm{T, TMath}"/> from x, its statistics and the incoming gradient g (contiguous,
    /// x's shape): dx into <paramref name="dx"/> and, with a weight, g·x̂ into <paramref name="gradXHat"/> (the
    /// weight's gradient is its sum over the rows). One launch.
    /// </summary>
    public static void LayerNormBackward<T, TMath>(StridedView<T> x, int count, DeviceBuffer<T> stats,
        StridedView<T> gradOutput, StridedView<T>? weight, DeviceBuffer<T> dx, DeviceBuffer<T>? gradXHat)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        int rows = LayerNormRows(x, count, weight, "layer norm backward");
        RequireContiguous(gradOutput, "layer norm backward");
        if (!gradOutput.Shape.AsSpan().SequenceEqual(x.Shape))
        {
            throw new ArgumentException($"layer norm backward: gradient of shape {Shapes.Format(gradOutput.Shape)} " +
                                        $"for input of shape {Shapes.Format(x.Shape)}");
        }
        RequireSameDevice(x.Device, gradOutput.Device, "layer norm backward");
        RequireOutput(stats, 2 * rows, [rows, 2], x.Device, "layer norm backward statistics");
        RequireOutput(dx, x.Size, x.Shape, x.Device, "layer norm backward");
        if (weight is not null)
        {
            ArgumentNullException.ThrowIfNull(gradXHat);
            RequireOutput(gradXHat, x.Size, x.Shape, x.Device, "layer norm backward g·x̂");
        }
        if (rows > 0)
        {
            var xv = ViewOf(x);
            x.Device.Executor.LayerNormBackward<T, TMath>(xv, stats.View, ViewOf(gradOutput),
                weight is null ? xv : ViewOf(weight), dx.View, gradXHat is null ? dx.View : gradXHat.View, rows,
                count, weight is not null);
        }
    }

    private static int LayerNormRows<T>(StridedView<T> x, int count, StridedView<T>? weight, string what)
        where T : unmanaged
    {
        RequireContiguous(x, what);
        if (count <= 0 || x.Size % count != 0)
        {
            throw new ArgumentException($"{what}: rows of {count} do not tile an input of shape {Shapes.Format(x.Shape)}");
        }
        if (weight is not null)
        {
            RequireRow(weight, count, x.Device, what + " weight");
        }
        return x.Size / count;
    }

    private static void RequireRow<T>(StridedView<T> row, int count, Device device, string what) where T : unmanaged
    {
        RequireContiguous(row, what);
        RequireSameDevice(device, row.Device, what);
        if (row.Size != count)
        {
            throw new ArgumentException($"{what}: {row.Size} elements (shape {Shapes.Format(row.Shape)}) for rows of {count}");
        }
    }

    private static ArrayView<T> ViewOf<T>(StridedView<T> contiguous) where T : unmanaged =>
        contiguous.Buffer.View.SubView(contiguous.Offset, contiguous.Size);
}
