using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using MicrogradPlus.Kernels;

namespace MicrogradPlus;

public sealed partial class Device
{
    /// <summary>Below this many elements a host loop on the CPU device stays on one thread.</summary>
    private const int ParallelHostLoopMinLength = 1 << 16;

    /// <summary>
    /// Runs an element body over [0, length): as a host loop on the CPU device for small lengths, otherwise through
    /// the cached grid-stride kernel with a grid sized from the device.
    /// </summary>
    internal void Launch<TBody>(TBody body, int length) where TBody : struct, IElementBody
    {
        if (length <= 0)
        {
            return;
        }
        if (Kind == DeviceKind.Cpu && length <= HostLoopMaxLength)
        {
            for (int i = 0; i < length; i++)
            {
                body.Execute(i);
            }
            return;
        }
        Kernels.GridStride<TBody>()(GridStrideConfig(length), body, length);
    }

    /// <summary>
    /// y = op(x) over contiguous views. On the CPU device (unless host loops are switched off) the operator runs over
    /// spans of the host memory behind the views, split across cores: a 4M-element add takes ~9 ms on one core this
    /// way against ~20 ms through ILGPU's CPU accelerator, whose per-element index bookkeeping dominates.
    /// </summary>
    internal void MapContiguous<T, TOp>(ArrayView<T> x, ArrayView<T> y, TOp op)
        where T : unmanaged
        where TOp : struct, IUnaryOp<T>
    {
        int length = (int)y.Length;
        if (!UsesHostLoops)
        {
            Launch(new MapContiguousBody<T, TOp>(x, y, op), length);
            return;
        }
        HostChunks(length, (start, count) =>
        {
            var xs = HostSpan(x, start, count);
            var ys = HostSpan(y, start, count);
            for (int i = 0; i < ys.Length; i++)
            {
                ys[i] = op.Apply(xs[i]);
            }
        });
    }

    /// <summary>c = op(a, b) over contiguous views of one shape; see <see cref="MapContiguous{T, TOp}"/>.</summary>
    internal void ZipContiguous<T, TOp>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, TOp op)
        where T : unmanaged
        where TOp : struct, IBinaryOp<T>
    {
        int length = (int)c.Length;
        if (!UsesHostLoops)
        {
            Launch(new ZipContiguousBody<T, TOp>(a, b, c, op), length);
            return;
        }
        HostChunks(length, (start, count) =>
        {
            var xs = HostSpan(a, start, count);
            var ys = HostSpan(b, start, count);
            var zs = HostSpan(c, start, count);
            for (int i = 0; i < zs.Length; i++)
            {
                zs[i] = op.Apply(xs[i], ys[i]);
            }
        });
    }

    /// <summary>
    /// Whether this is the CPU device with host loops on: then contiguous, strided and reduction loops and the
    /// matmul run over spans of host memory (any size), and other bodies run as host loops up to
    /// <see cref="HostLoopMaxLength"/> elements.
    /// </summary>
    internal bool UsesHostLoops => Kind == DeviceKind.Cpu && HostLoopMaxLength > 0;

    /// <summary>Threads per group for grid-stride kernels.</summary>
    internal int GridStrideGroupSize => Kind == DeviceKind.Cpu ? MaxGroupSize : Math.Min(256, MaxGroupSize);

    /// <summary>
    /// Enough groups to fill the device, never more than the work needs: the loop strides over the rest. On the CPU
    /// accelerator each multiprocessor is a core running one group at a time, so one group per core.
    /// </summary>
    internal KernelConfig GridStrideConfig(int length)
    {
        int group = GridStrideGroupSize;
        int needed = (int)Math.Min(((long)length + group - 1) / group, int.MaxValue);
        return new KernelConfig(Math.Max(1, Math.Min(needed, ResidentGroups(group) * (Kind == DeviceKind.Cpu ? 1 : 4))),
            group);
    }

    /// <summary>The largest power of two ≤ min(limit, <see cref="MaxGroupSize"/>).</summary>
    internal int PowerOfTwoGroupSize(int limit) =>
        (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Min(limit, MaxGroupSize) + 1) / 2;

    /// <summary>How many groups keep every multiprocessor busy for a kernel of this group size.</summary>
    internal int ResidentGroups(int groupSize) => Kind == DeviceKind.Cpu
        ? Multiprocessors
        : Multiprocessors * Math.Max(1, _info.MaxNumThreadsPerMultiprocessor / groupSize);

    private static void HostChunks(int length, Action<int, int> work)
    {
        int chunks = length < ParallelHostLoopMinLength ? 1 : Environment.ProcessorCount;
        if (chunks == 1)
        {
            work(0, length);
            return;
        }
        int per = (length + chunks - 1) / chunks;
        Parallel.For(0, chunks, c =>
        {
            int start = c * per;
            work(start, Math.Min(per, length - start));
        });
    }

    private static Span<T> HostSpan<T>(ArrayView<T> view, int start, int count) where T : unmanaged =>
        count <= 0 ? [] : Backends.HostLoops.Span(view.SubView(start, count));
}
