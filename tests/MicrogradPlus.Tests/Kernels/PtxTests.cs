using MicrogradPlus.Kernels;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Kernels;

/// <summary>
/// What the CUDA code of the hot kernels looks like, checked on any machine by compiling to PTX: the speed of these
/// kernels on a GPU rests on these properties, and a refactoring that loses one would otherwise only show up as a
/// slower benchmark on a GPU machine.
/// </summary>
public class PtxTests
{
    /// <summary>
    /// ILGPU keeps local arrays in local memory, so the blocked matmul's accumulators are struct fields: no local
    /// memory, shared memory read as 16-byte vectors, one barrier per slice (plus one per block), 64 multiply-adds
    /// per step and a slice's eight steps, loads and arithmetic, in one straight run of code.
    /// </summary>
    [Fact]
    public void Blocked_matmul_keeps_its_block_in_registers_and_loads_vectors()
    {
        string ptx = Ptx.Compile(typeof(MatMulBlocked).GetMethod(nameof(MatMulBlocked.Run))!
            .MakeGenericMethod(typeof(float), typeof(NoActivation<float>)), MatMulBlocked.GroupSize);
        Assert.DoesNotContain("ld.local", ptx, StringComparison.Ordinal);
        Assert.DoesNotContain("st.local", ptx, StringComparison.Ordinal);
        // A slice's eight steps are written out: 8 × 4 vector loads and 8 × 64 multiply-adds, in one basic block.
        Assert.Equal(32, Ptx.Count(ptx, "ld.shared.v4.f32"));
        Assert.Equal(0, Ptx.Count(ptx, "ld.shared.f32"));
        Assert.Equal(2, Ptx.Count(ptx, "bar.sync"));
        Assert.Equal(512, Ptx.Count(ptx, "mul.f32"));
        var lines = ptx.Split('\n').Select(l => l.Trim()).ToList();
        int firstLoad = lines.FindIndex(l => l.StartsWith("ld.shared.v4.f32", StringComparison.Ordinal));
        int lastMultiply = lines.FindLastIndex(l => l.StartsWith("mul.f32", StringComparison.Ordinal));
        Assert.True(firstLoad < lastMultiply, "the multiply-adds should follow the shared-memory loads");
        // Loads and multiply-adds share one straight run: no branch, and above all no barrier or shared store
        // between them (ILGPU places the multiply-adds where the accumulators are next used; had that been past
        // the next slice's store and barrier, the global loads' latency would stall every slice).
        Assert.False(
            lines[firstLoad..lastMultiply].Any(l => l.EndsWith(':') || l.Contains("bra", StringComparison.Ordinal) ||
                l.StartsWith("bar.sync", StringComparison.Ordinal) ||
                l.StartsWith("st.shared", StringComparison.Ordinal)),
            "a branch, label, barrier or shared store inside the slice's steps");

        string ptx64 = Ptx.Compile(typeof(MatMulBlocked).GetMethod(nameof(MatMulBlocked.Run))!
            .MakeGenericMethod(typeof(double), typeof(NoActivation<double>)), MatMulBlocked.GroupSize);
        Assert.DoesNotContain("ld.local", ptx64, StringComparison.Ordinal);
        Assert.Equal(0, Ptx.Count(ptx64, "ld.shared.f64"));

        // An activation in the store (Linear + ReLU/Sigmoid in one launch) leaves the block in registers.
        foreach (var activation in new[] { typeof(ReluOp), typeof(SigmoidOp) })
        {
            string fused = Ptx.Compile(typeof(MatMulBlocked).GetMethod(nameof(MatMulBlocked.Run))!
                .MakeGenericMethod(typeof(float), activation), MatMulBlocked.GroupSize);
            Assert.DoesNotContain("ld.local", fused, StringComparison.Ordinal);
            Assert.Equal(32, Ptx.Count(fused, "ld.shared.v4.f32"));
        }
    }

    /// <summary>Contiguous element-wise kernels move 16 bytes per load and store, and exp is one ex2.approx.</summary>
    [Fact]
    public void Contiguous_elementwise_kernels_use_vector_loads_and_stores()
    {
        string exp = Ptx.Compile(GridStrideOf(typeof(MapContiguousBody<float, ExpOp>)), 256);
        Assert.Equal(1, Ptx.Count(exp, "ld.global.v4.f32"));
        Assert.Equal(1, Ptx.Count(exp, "st.global.v4.f32"));
        Assert.True(Ptx.Count(exp, "ex2.approx.f32") >= 4, "exp should compile to ex2.approx");

        string add = Ptx.Compile(GridStrideOf(typeof(ZipContiguousBody<float, AddOp>)), 256);
        Assert.Equal(2, Ptx.Count(add, "ld.global.v4.f32"));
        Assert.Equal(1, Ptx.Count(add, "st.global.v4.f32"));
        Assert.DoesNotContain("ld.local", add, StringComparison.Ordinal);
    }

    /// <summary>
    /// Reductions keep four loads in flight per thread, a thread per output (a sum over a leading axis: a bias
    /// gradient, the columns of a matrix) and a group per output, and so does softmax's group per row: the unrolled
    /// step's four global loads share one basic block — no branch or label between them — so ptxas can issue all four
    /// before the first add waits.
    /// </summary>
    [Fact]
    public void Reductions_put_four_loads_in_one_block()
    {
        string rows = Ptx.Compile(GridStrideOf(typeof(ReduceRowsBody<float, SumReduce>)), 256);
        Assert.Equal(5, Ptx.Count(rows, "ld.global.f32"));
        AssertFourLoadsInOneBlock(rows, "rows");
        string groups = Ptx.Compile(typeof(ReduceKernels).GetMethod(nameof(ReduceKernels.ReduceGroups))!
            .MakeGenericMethod(typeof(float), typeof(SumReduce)), 256);
        AssertFourLoadsInOneBlock(groups, "groups");
        string softmax = Ptx.Compile(typeof(SoftmaxKernels).GetMethod(nameof(SoftmaxKernels.Groups))!
            .MakeGenericMethod(typeof(float), typeof(ScalarMath)), 256);
        AssertFourLoadsInOneBlock(softmax, "softmax groups");
    }

    /// <summary>Some four consecutive global loads of the kernel have no branch or label between them.</summary>
    private static void AssertFourLoadsInOneBlock(string ptx, string kernel)
    {
        var lines = ptx.Split('\n').Select(l => l.Trim()).ToList();
        var loads = Enumerable.Range(0, lines.Count)
            .Where(i => lines[i].StartsWith("ld.global.f32", StringComparison.Ordinal)).ToList();
        bool together = Enumerable.Range(0, Math.Max(0, loads.Count - 3)).Any(k =>
            !lines[loads[k]..loads[k + 3]].Any(l => l.EndsWith(':') || l.Contains("bra", StringComparison.Ordinal)));
        Assert.True(together, $"{kernel}: no four loads in one basic block");
    }

    /// <summary>
    /// The eight-parameter optimizer updates and the fused losses (cross-entropy; the MSE backward and its squared
    /// differences) compile for CUDA and keep their state in registers (the update's parameter block is about 800
    /// bytes of kernel arguments, well under CUDA's 4 KB).
    /// </summary>
    [Fact]
    public void Multi_parameter_updates_and_fused_losses_compile_for_cuda()
    {
        foreach (var body in new[]
                 {
                     typeof(UpdateBody<AdamSlot>), typeof(UpdateBody<SgdSlot>),
                     typeof(CrossEntropyRowsBody<float, ScalarMath>), typeof(CrossEntropyGradBody<float, ScalarMath>),
                     typeof(ZipBody<float, MseGradOp<float>>), typeof(ZipBody<double, MseGradOp<double>>),
                     typeof(ZipBody<float, SquaredDifferenceOp>), typeof(ZipContiguousBody<float, SquaredDifferenceOp>),
                 })
        {
            string ptx = Ptx.Compile(GridStrideOf(body), 256);
            Assert.DoesNotContain("ld.local", ptx, StringComparison.Ordinal);
            Assert.DoesNotContain("st.local", ptx, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// The index kernels (gather, scatter-add, one-hot, triangles, running sums, sort indices, conversions) compile
    /// for CUDA in float and double and keep their state in registers.
    /// </summary>
    [Fact]
    public void Index_kernels_compile_for_cuda()
    {
        foreach (var body in new[]
                 {
                     typeof(GatherBody<float>), typeof(GatherBody<double>),
                     typeof(ScatterAddBody<float>), typeof(ScatterAddBody<double>),
                     typeof(OneHotBody<float>), typeof(OneHotBody<int>), typeof(TriangleBody<double>),
                     typeof(CumSumBody<float>), typeof(SortIndexBody<float>), typeof(SortIndexBody<double>),
                     typeof(ConvertBody<int, float, IntToFloat>), typeof(ConvertBody<double, int, DoubleToInt>),
                 })
        {
            string ptx = Ptx.Compile(GridStrideOf(body), 256);
            Assert.DoesNotContain("ld.local", ptx, StringComparison.Ordinal);
            Assert.DoesNotContain("st.local", ptx, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// The fused softmax kernels (and cross-entropy's group per row) compile for CUDA in float and double, a thread per
    /// row and a group per row; in float they keep their state in registers and shared memory (ILGPU's software
    /// double exp reads a table from local memory), and the group kernels meet at the tree's barriers.
    /// </summary>
    [Fact]
    public void Softmax_kernels_compile_for_cuda()
    {
        foreach (var body in new[]
                 {
                     typeof(SoftmaxRowsBody<float, ScalarMath>), typeof(SoftmaxRowsBody<double, ScalarMath>),
                     typeof(SoftmaxGradRowsBody<float, ScalarMath>), typeof(SoftmaxGradRowsBody<double, ScalarMath>),
                 })
        {
            string ptx = Ptx.Compile(GridStrideOf(body), 256);
            if (body.GenericTypeArguments[0] == typeof(float))
            {
                Assert.DoesNotContain("ld.local", ptx, StringComparison.Ordinal);
            }
        }
        foreach (var name in new[] { nameof(SoftmaxKernels.Groups), nameof(SoftmaxKernels.GradGroups) })
        {
            foreach (var type in new[] { typeof(float), typeof(double) })
            {
                var kernel = typeof(SoftmaxKernels).GetMethod(name)!.MakeGenericMethod(type, typeof(ScalarMath));
                string ptx = Ptx.Compile(kernel, 256);
                Assert.True(Ptx.Count(ptx, "bar.sync") >= 2, $"{name}<{type.Name}>: expected the tree's barriers");
                if (type == typeof(float))
                {
                    Assert.DoesNotContain("ld.local", ptx, StringComparison.Ordinal);
                    Assert.DoesNotContain("st.local", ptx, StringComparison.Ordinal);
                    Assert.True(Ptx.Count(ptx, "ex2.approx.f32") >= 1, $"{name}: exp should compile to ex2.approx");
                }
            }
        }
        string crossEntropy = Ptx.Compile(typeof(CrossEntropyKernels).GetMethod(nameof(CrossEntropyKernels.Groups))!
            .MakeGenericMethod(typeof(float), typeof(ScalarMath)), 256);
        Assert.DoesNotContain("ld.local", crossEntropy, StringComparison.Ordinal);
        Assert.True(Ptx.Count(crossEntropy, "bar.sync") >= 2, "cross-entropy groups: expected the tree's barriers");
    }

    /// <summary>
    /// The element-wise math, activation, select and clamp operators and the product reduction compile for CUDA in
    /// float and double (their special functions are written from exp, log, floor and ceiling, which ILGPU maps).
    /// </summary>
    [Fact]
    public void Extended_operators_compile_for_cuda()
    {
        Type[] unary =
        [
            typeof(RsqrtOp), typeof(SinOp), typeof(CosOp), typeof(Log2Op), typeof(Exp2Op), typeof(Log1pOp),
            typeof(Expm1Op), typeof(FloorOp), typeof(CeilOp), typeof(RoundOp), typeof(TruncOp), typeof(ErfOp),
            typeof(IsNanOp), typeof(IsInfOp), typeof(IsFiniteOp), typeof(DivScalarOp), typeof(ClampOp),
            typeof(SoftplusOp), typeof(EluOp), typeof(GeluTanhOp), typeof(HardswishOp), typeof(HardsigmoidOp),
            typeof(MishOp), typeof(LogSigmoidOp), typeof(SoftsignOp),
        ];
        Type[] binary = [typeof(LogAddExpOp), typeof(LerpOp), typeof(KeepWhereOp), typeof(KeepWhereNotOp)];
        foreach (var type in new[] { typeof(float), typeof(double) })
        {
            foreach (var op in unary)
            {
                Assert.NotEmpty(Ptx.Compile(GridStrideOf(typeof(MapContiguousBody<,>).MakeGenericType(type, op)), 256));
            }
            foreach (var op in binary)
            {
                Assert.NotEmpty(Ptx.Compile(GridStrideOf(typeof(ZipContiguousBody<,>).MakeGenericType(type, op)), 256));
            }
            Assert.NotEmpty(Ptx.Compile(GridStrideOf(typeof(ReduceRowsBody<,>).MakeGenericType(type,
                typeof(ProdReduce))), 256));
        }
    }

    private static System.Reflection.MethodInfo GridStrideOf(Type body) =>
        typeof(GridStride).GetMethod(nameof(GridStride.Run))!.MakeGenericMethod(body);
}
