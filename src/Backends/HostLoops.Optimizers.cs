using System.Numerics;
using System.Runtime.InteropServices;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

internal static partial class HostLoops
{
    /// <summary>
    /// SGD on elements [<paramref name="from"/>, <paramref name="to"/>) of one parameter, over spans (reading host
    /// memory through <c>ArrayView</c> costs about 25 ns an element): <see cref="SgdSlot.Step{TLane}"/> on
    /// <see cref="Vector{T}"/> lanes, then on the scalar tail, so the results equal the kernel's bit for bit.
    /// </summary>
    public static void SgdRange(SgdUpdate u, int from, int to)
    {
        var p = Span(u.Parameter.View)[from..to];
        var g = Span(u.Grad.View)[from..to];
        var b = Span(u.MomentumBuffer.View)[from..to];
        var lanes = SgdLanes<Lanes<float>>.Of<VectorMath<float>>(u.Settings);
        var scalars = SgdLanes<float>.Of<ScalarMath>(u.Settings);
        var ps = AsLanes(p);
        var gs = AsLanes(g);
        var bs = AsLanes(b);
        for (int k = 0; k < ps.Length; k++)
        {
            ps[k] = SgdSlot.Step(ps[k], gs[k], ref bs[k], lanes);
        }
        for (int i = ps.Length * Vector<float>.Count; i < p.Length; i++)
        {
            p[i] = SgdSlot.Step(p[i], g[i], ref b[i], scalars); // b is written only with momentum
        }
    }

    /// <summary>
    /// Adam/AdamW on elements [<paramref name="from"/>, <paramref name="to"/>) of one parameter, over spans:
    /// <see cref="AdamSlot.Step{TLane, TMath}"/> on <see cref="Vector{T}"/> lanes, then on the scalar tail, so the
    /// results equal the kernel's bit for bit.
    /// </summary>
    public static void AdamRange(AdamUpdate u, int from, int to)
    {
        var p = Span(u.Parameter.View)[from..to];
        var g = Span(u.Grad.View)[from..to];
        var m = Span(u.M.View)[from..to];
        var v = Span(u.V.View)[from..to];
        var lanes = AdamLanes<Lanes<float>>.Of<VectorMath<float>>(u.Settings);
        var scalars = AdamLanes<float>.Of<ScalarMath>(u.Settings);
        var ps = AsLanes(p);
        var gs = AsLanes(g);
        var ms = AsLanes(m);
        var vs = AsLanes(v);
        for (int k = 0; k < ps.Length; k++)
        {
            ps[k] = AdamSlot.Step<Lanes<float>, VectorMath<float>>(ps[k], gs[k], ref ms[k], ref vs[k], lanes);
        }
        for (int i = ps.Length * Vector<float>.Count; i < p.Length; i++)
        {
            p[i] = AdamSlot.Step<float, ScalarMath>(p[i], g[i], ref m[i], ref v[i], scalars);
        }
    }

    /// <summary>
    /// The whole vectors (<see cref="Lanes{T}"/>) at the start of <paramref name="values"/>, the rest being the
    /// caller's scalar tail; none where T has no vector lanes here (<see cref="VectorMath{T}.Supported"/>), so the
    /// tail is all.
    /// </summary>
    private static Span<Lanes<T>> AsLanes<T>(Span<T> values) where T : unmanaged, INumber<T> =>
        VectorMath<T>.Supported ? MemoryMarshal.Cast<T, Lanes<T>>(values) : [];
}
