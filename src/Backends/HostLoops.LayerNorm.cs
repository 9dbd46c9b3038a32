using System.Numerics;
using ILGPU;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

internal static partial class HostLoops
{
    /// <summary>
    /// Layer normalization forward on the CPU device, as <see cref="LayerNormRowsBody{T, TMath}"/> and with its math
    /// (<see cref="LayerNormMath{TLane, T, TMath}"/>) on <see cref="Vector{T}"/> lanes along each contiguous row,
    /// rows split across cores.
    /// </summary>
    public static void LayerNorm<T, TMath>(ArrayView<T> x, ArrayView<T> weight, ArrayView<T> bias, ArrayView<T> y,
        ArrayView<T> stats, int rows, int count, T eps, bool affine)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        T inverseCount = T.One / T.CreateChecked(count);
        ForRange(rows, 3L * rows * count, (first, last) =>
        {
            Span<T> xs = Span(x), ys = Span(y), ss = Span(stats);
            Span<T> ws = affine ? Span(weight)[..count] : [], bs = affine ? Span(bias)[..count] : [];
            for (int row = first; row < last; row++)
            {
                var xr = xs.Slice(row * count, count);
                var yr = ys.Slice(row * count, count);
                T mean = RowSum(xr) * inverseCount;
                T squares = RowSquares<T, TMath>(xr, mean);
                T inverseStd = LayerNormMath<T, T, TMath>.InverseStd(squares, inverseCount, eps);
                ss[2 * row] = mean;
                ss[2 * row + 1] = inverseStd;
                LayerNormRow<T, TMath>(xr, ws, bs, yr, mean, inverseStd, affine);
            }
        });
    }

    /// <summary>
    /// Layer normalization backward on the CPU device, as <see cref="LayerNormGradRowsBody{T, TMath}"/> with its math
    /// on vector lanes along each row, rows split across cores.
    /// </summary>
    public static void LayerNormBackward<T, TMath>(ArrayView<T> x, ArrayView<T> stats, ArrayView<T> g,
        ArrayView<T> weight, ArrayView<T> dx, ArrayView<T> gradXHat, int rows, int count, bool affine)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        T inverseCount = T.One / T.CreateChecked(count);
        ForRange(rows, 4L * rows * count, (first, last) => WithScratch<T>(count, gHats =>
        {
            Span<T> xs = Span(x), ss = Span(stats), gs = Span(g), ds = Span(dx);
            Span<T> ws = affine ? Span(weight)[..count] : [], gx = affine ? Span(gradXHat) : [];
            for (int row = first; row < last; row++)
            {
                int at = row * count;
                var xr = xs.Slice(at, count);
                var gr = gs.Slice(at, count);
                var dr = ds.Slice(at, count);
                T mean = ss[2 * row], inverseStd = ss[2 * row + 1];
                // ĝ = g·w, then the row's Σ ĝ and Σ ĝ·x̂.
                if (affine)
                {
                    Multiply(gr, ws, gHats);
                }
                else
                {
                    gr.CopyTo(gHats);
                }
                T meanGHat = RowSum<T>(gHats) * inverseCount;
                T meanGHatXHat = RowDotNormalized<T, TMath>(gHats, xr, mean, inverseStd) * inverseCount;
                LayerNormGradRow<T, TMath>(gHats, xr, dr, mean, inverseStd, meanGHat, meanGHatXHat);
                if (affine)
                {
                    GradTimesNormalized<T, TMath>(gr, xr, gx.Slice(at, count), mean, inverseStd);
                }
            }
        }));
    }

    private static T RowSum<T>(Span<T> row) where T : unmanaged, INumber<T>
    {
        var lanes = AsLanes(row);
        var (s0, s1) = (default(Lanes<T>), default(Lanes<T>));
        int k = 0;
        for (; k + 1 < lanes.Length; k += 2)
        {
            (s0, s1) = (s0 + lanes[k], s1 + lanes[k + 1]);
        }
        if (k < lanes.Length)
        {
            s0 += lanes[k];
        }
        T sum = lanes.Length > 0 ? (s0 + s1).Sum() : T.Zero;
        for (int i = lanes.Length * Vector<T>.Count; i < row.Length; i++)
        {
            sum += row[i];
        }
        return sum;
    }

    private static T RowSquares<T, TMath>(Span<T> row, T mean)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        var lanes = AsLanes(row);
        var meanLanes = new Lanes<T>(mean);
        var sum = default(Lanes<T>);
        for (int k = 0; k < lanes.Length; k++)
        {
            sum += LayerNormMath<Lanes<T>, T, VectorMath<T>>.SquareTerm(lanes[k], meanLanes);
        }
        T squares = lanes.Length > 0 ? sum.Sum() : T.Zero;
        for (int i = lanes.Length * Vector<T>.Count; i < row.Length; i++)
        {
            squares += LayerNormMath<T, T, TMath>.SquareTerm(row[i], mean);
        }
        return squares;
    }

    private static void LayerNormRow<T, TMath>(Span<T> x, Span<T> w, Span<T> b, Span<T> y, T mean, T inverseStd,
        bool affine)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        var xs = AsLanes(x);
        var ys = AsLanes(y);
        var (meanLanes, stdLanes) = (new Lanes<T>(mean), new Lanes<T>(inverseStd));
        if (affine)
        {
            var wl = AsLanes(w);
            var bl = AsLanes(b);
            for (int k = 0; k < xs.Length; k++)
            {
                ys[k] = LayerNormMath<Lanes<T>, T, VectorMath<T>>.Output(xs[k], meanLanes, stdLanes, wl[k], bl[k]);
            }
            for (int i = xs.Length * Vector<T>.Count; i < x.Length; i++)
            {
                y[i] = LayerNormMath<T, T, TMath>.Output(x[i], mean, inverseStd, w[i], b[i]);
            }
            return;
        }
        for (int k = 0; k < xs.Length; k++)
        {
            ys[k] = LayerNormMath<Lanes<T>, T, VectorMath<T>>.Normalized(xs[k], meanLanes, stdLanes);
        }
        for (int i = xs.Length * Vector<T>.Count; i < x.Length; i++)
        {
            y[i] = LayerNormMath<T, T, TMath>.Normalized(x[i], mean, inverseStd);
        }
    }

    private static void Multiply<T>(Span<T> a, Span<T> b, Span<T> product) where T : unmanaged, INumber<T>
    {
        var al = AsLanes(a);
        var bl = AsLanes(b);
        var pl = AsLanes(product);
        for (int k = 0; k < al.Length; k++)
        {
            pl[k] = al[k] * bl[k];
        }
        for (int i = al.Length * Vector<T>.Count; i < a.Length; i++)
        {
            product[i] = a[i] * b[i];
        }
    }

    /// <summary>Σ ĝ·x̂ over a row.</summary>
    private static T RowDotNormalized<T, TMath>(Span<T> gHat, Span<T> x, T mean, T inverseStd)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        var gl = AsLanes(gHat);
        var xl = AsLanes(x);
        var (meanLanes, stdLanes) = (new Lanes<T>(mean), new Lanes<T>(inverseStd));
        var sum = default(Lanes<T>);
        for (int k = 0; k < gl.Length; k++)
        {
            sum += gl[k] * LayerNormMath<Lanes<T>, T, VectorMath<T>>.Normalized(xl[k], meanLanes, stdLanes);
        }
        T dot = gl.Length > 0 ? sum.Sum() : T.Zero;
        for (int i = gl.Length * Vector<T>.Count; i < x.Length; i++)
        {
            dot += gHat[i] * LayerNormMath<T, T, TMath>.Normalized(x[i], mean, inverseStd);
        }
        return dot;
    }

    private static void LayerNormGradRow<T, TMath>(Span<T> gHat, Span<T> x, Span<T> dx, T mean, T inverseStd,
        T meanGHat, T meanGHatXHat)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        var gl = AsLanes(gHat);
        var xl = AsLanes(x);
        var dl = AsLanes(dx);
        var (meanLanes, stdLanes) = (new Lanes<T>(mean), new Lanes<T>(inverseStd));
        var (mg, mgx) = (new Lanes<T>(meanGHat), new Lanes<T>(meanGHatXHat));
        for (int k = 0; k < gl.Length; k++)
        {
            var xHat = LayerNormMath<Lanes<T>, T, VectorMath<T>>.Normalized(xl[k], meanLanes, stdLanes);
            dl[k] = LayerNormMath<Lanes<T>, T, VectorMath<T>>.Grad(gl[k], xHat, stdLanes, mg, mgx);
        }
        for (int i = gl.Length * Vector<T>.Count; i < x.Length; i++)
        {
            var xHat = LayerNormMath<T, T, TMath>.Normalized(x[i], mean, inverseStd);
            dx[i] = LayerNormMath<T, T, TMath>.Grad(gHat[i], xHat, inverseStd, meanGHat, meanGHatXHat);
        }
    }

    /// <summary>g·x̂ over a row, for the weight's gradient.</summary>
    private static void GradTimesNormalized<T, TMath>(Span<T> g, Span<T> x, Span<T> output, T mean, T inverseStd)
        where T : unmanaged, INumber<T>
        where TMath : struct, ILossMath<T>
    {
        var gl = AsLanes(g);
        var xl = AsLanes(x);
        var ol = AsLanes(output);
        var (meanLanes, stdLanes) = (new Lanes<T>(mean), new Lanes<T>(inverseStd));
        for (int k = 0; k < gl.Length; k++)
        {
            ol[k] = gl[k] * LayerNormMath<Lanes<T>, T, VectorMath<T>>.Normalized(xl[k], meanLanes, stdLanes);
        }
        for (int i = gl.Length * Vector<T>.Count; i < x.Length; i++)
        {
            output[i] = g[i] * LayerNormMath<T, T, TMath>.Normalized(x[i], mean, inverseStd);
        }
    }
}
