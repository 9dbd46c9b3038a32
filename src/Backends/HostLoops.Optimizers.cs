using System.Numerics;
using System.Runtime.InteropServices;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

internal static partial class HostLoops
{
    /// <summary>
    /// SGD on elements [<paramref name="from"/>, <paramref name="to"/>) of one parameter, over spans (reading host
    /// memory through <c>ArrayView</c> costs about 25 ns an element): <see cref="Vector{T}"/> lanes run
    /// <see cref="SgdSlot.Step"/>'s operations in its order (each rounds as the scalar one; no fused multiply-adds),
    /// so the results equal the kernel's bit for bit; the tail runs Step itself.
    /// </summary>
    public static void SgdRange(SgdUpdate u, int from, int to)
    {
        var p = Span(u.Parameter.View)[from..to];
        var g = Span(u.Grad.View)[from..to];
        var b = Span(u.MomentumBuffer.View)[from..to];
        var s = u.Settings;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var ps = MemoryMarshal.Cast<float, Vector<float>>(p);
            var gs = MemoryMarshal.Cast<float, Vector<float>>(g);
            var bs = MemoryMarshal.Cast<float, Vector<float>>(b);
            var (weightDecay, learningRate) = (new Vector<float>(s.WeightDecay), new Vector<float>(s.LearningRate));
            var (momentum, undamped) = (new Vector<float>(s.Momentum), new Vector<float>(1f - s.Dampening));
            for (int k = 0; k < ps.Length; k++)
            {
                var pk = ps[k];
                var gk = gs[k] + weightDecay * pk;
                if (s.Momentum != 0f)
                {
                    var bk = s.FirstStep != 0 ? gk : momentum * bs[k] + undamped * gk;
                    bs[k] = bk;
                    gk = s.Nesterov != 0 ? gk + momentum * bk : bk;
                }
                ps[k] = pk - learningRate * gk;
            }
            i = ps.Length * Vector<float>.Count;
        }
        for (; i < p.Length; i++)
        {
            p[i] = SgdSlot.Step(p[i], g[i], ref b[i], s); // b is written only with momentum, as in the kernel
        }
    }

    /// <summary>
    /// Adam/AdamW on elements [<paramref name="from"/>, <paramref name="to"/>) of one parameter, over spans:
    /// <see cref="Vector{T}"/> lanes run <see cref="AdamSlot.Step"/>'s operations in its order (each rounds as the
    /// scalar one; no fused multiply-adds), so the results equal the kernel's bit for bit; the tail runs Step itself.
    /// </summary>
    public static void AdamRange(AdamUpdate u, int from, int to)
    {
        var p = Span(u.Parameter.View)[from..to];
        var g = Span(u.Grad.View)[from..to];
        var m = Span(u.M.View)[from..to];
        var v = Span(u.V.View)[from..to];
        var s = u.Settings;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var ps = MemoryMarshal.Cast<float, Vector<float>>(p);
            var gs = MemoryMarshal.Cast<float, Vector<float>>(g);
            var ms = MemoryMarshal.Cast<float, Vector<float>>(m);
            var vs = MemoryMarshal.Cast<float, Vector<float>>(v);
            var decay = new Vector<float>(1f - s.LearningRate * s.WeightDecay);
            var weightDecay = new Vector<float>(s.WeightDecay);
            var (beta1, beta2) = (new Vector<float>(s.Beta1), new Vector<float>(s.Beta2));
            var (rest1, rest2) = (new Vector<float>(1f - s.Beta1), new Vector<float>(1f - s.Beta2));
            var (correction2, epsilon) = (new Vector<float>(s.SqrtBiasCorrection2), new Vector<float>(s.Epsilon));
            var stepSize = new Vector<float>(s.StepSize);
            for (int k = 0; k < ps.Length; k++)
            {
                var pk = ps[k];
                var gk = gs[k];
                if (s.Decoupled != 0)
                {
                    pk *= decay;
                }
                else
                {
                    gk += weightDecay * pk;
                }
                var mk = beta1 * ms[k] + rest1 * gk;
                var vk = beta2 * vs[k] + rest2 * gk * gk;
                ms[k] = mk;
                vs[k] = vk;
                ps[k] = pk - stepSize * mk / (Vector.SquareRoot(vk) / correction2 + epsilon);
            }
            i = ps.Length * Vector<float>.Count;
        }
        for (; i < p.Length; i++)
        {
            p[i] = AdamSlot.Step(p[i], g[i], ref m[i], ref v[i], s);
        }
    }
}
