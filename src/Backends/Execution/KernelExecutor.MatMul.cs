using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

internal sealed partial class KernelExecutor
{
    /// <inheritdoc/>
    public override void MatMul<T, TAct>(MatMulOperands<T> m, MatMulKernel kernel)
    {
        var s = m.Shape;
        var (a, b, c) = (m.A.Buffer.View, m.B.Buffer.View, m.C.View);
        if (kernel == MatMulKernel.Auto)
        {
            kernel = Policy.ChooseMatMul<T>(s);
        }
        switch (kernel)
        {
            case MatMulKernel.Naive:
                Run(new MatMulNaiveBody<T, TAct>(a, b, c, m.BiasView, s), s.Batch * s.M * s.N);
                break;
            case MatMulKernel.Tiled:
            {
                var tiled = Kernels.Get(typeof(TiledKernel<T, TAct>), acc =>
                    acc.LoadKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, MatMulShape, int>(
                        MatMulKernels.Tiled<T, TAct>));
                var (tile, config) = Policy.Tiled(s);
                Launched();
                lock (_launchGate)
                {
                    tiled(Device.Stream, config, a, b, c, m.BiasView, s, tile);
                }
                break;
            }
            case MatMulKernel.Blocked:
            {
                if (Device.MaxGroupSize < MatMulBlocked.GroupSize)
                {
                    throw new NotSupportedException(
                        $"the blocked matmul needs groups of {MatMulBlocked.GroupSize} threads; {Device} runs at most " +
                        $"{Device.MaxGroupSize}");
                }
                var blocked = Kernels.Get(typeof(BlockedKernel<T, TAct>), acc =>
                    acc.LoadKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, MatMulShape>(
                        MatMulBlocked.Run<T, TAct>));
                Launched();
                lock (_launchGate)
                {
                    blocked(Device.Stream, Policy.Blocked(s), a, b, c, m.BiasView, s);
                }
                break;
            }
            case MatMulKernel.CuBlas:
            {
                var blas = Device.Blas ?? throw new NotSupportedException(
                    $"matmul kernel CuBlas on {Device}: {Device.CuBlasStatus}");
                if (!GemmPlan.TryCreate(s, out var plan))
                {
                    throw new NotSupportedException(
                        $"matmul kernel CuBlas: the layout of {Shapes.Format(m.A.Shape)} (strides " +
                        $"{Shapes.Format(m.A.Strides)}) · {Shapes.Format(m.B.Shape)} (strides " +
                        $"{Shapes.Format(m.B.Strides)}) is not a column-major matrix or its transpose");
                }
                for (int calls = blas.Run(a, b, c, s, plan); calls > 0; calls--)
                {
                    Launched();
                }
                // cuBLAS's β·C epilogue would need C filled with the bias first, a launch either way; the activation
                // goes in the same launch.
                if (s.HasBias != 0 || typeof(TAct) != typeof(NoActivation<T>))
                {
                    Run(new MatMulEpilogueBody<T, TAct>(c, m.BiasView, s), checked((int)m.C.Length));
                }
                break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "unknown matmul kernel");
        }
    }

    private sealed class TiledKernel<T, TAct>;
    private sealed class BlockedKernel<T, TAct>;
}
