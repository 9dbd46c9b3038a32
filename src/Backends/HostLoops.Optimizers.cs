using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

internal static partial class HostLoops
{
    /// <summary>
    /// SGD on elements [<paramref name="from"/>, <paramref name="to"/>) of one parameter, over spans: the kernel's own
    /// <see cref="SgdSlot.Step"/> per element, without the cost of reading host memory through <c>ArrayView</c>.
    /// </summary>
    public static void SgdRange(SgdUpdate u, int from, int to)
    {
        var p = Span(u.Parameter.View)[from..to];
        var g = Span(u.Grad.View)[from..to];
        var b = Span(u.MomentumBuffer.View)[from..to];
        var s = u.Settings;
        for (int i = 0; i < p.Length; i++)
        {
            p[i] = SgdSlot.Step(p[i], g[i], ref b[i], s); // b is written only with momentum, as in the kernel
        }
    }

    /// <summary>Adam/AdamW on elements [<paramref name="from"/>, <paramref name="to"/>) of one parameter, as
    /// <see cref="SgdRange"/>: <see cref="AdamSlot.Step"/> per element.</summary>
    public static void AdamRange(AdamUpdate u, int from, int to)
    {
        var p = Span(u.Parameter.View)[from..to];
        var g = Span(u.Grad.View)[from..to];
        var m = Span(u.M.View)[from..to];
        var v = Span(u.V.View)[from..to];
        var s = u.Settings;
        for (int i = 0; i < p.Length; i++)
        {
            p[i] = AdamSlot.Step(p[i], g[i], ref m[i], ref v[i], s);
        }
    }
}
