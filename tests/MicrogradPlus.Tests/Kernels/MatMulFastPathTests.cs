using System.Numerics;
using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Kernels;

/// <summary>
/// The GPU fast paths of the matrix product: the register-blocked kernel (on every device whose groups hold 256
/// threads, against the float64 reference, on the shared cases plus sizes that cross its 128×128 blocks and 8-deep
/// slices, with and without a bias), how a product is laid out for a column-major
/// GEMM (checked on the host by running that GEMM in C#), and cuBLAS itself on CUDA.
/// </summary>
public class MatMulFastPathTests
{
    private static readonly (string Name, Func<double[], HostView> A, Func<double[], HostView> B, bool TransposeA,
        bool TransposeB)[] LargeCases =
    [
        ("130×9×131", v => HostView.Filled(v, 130, 9), v => HostView.Filled(v, 9, 131), false, false),
        ("129×257×3", v => HostView.Filled(v, 129, 257), v => HostView.Filled(v, 257, 3), false, false),
        ("transposeA 200×20×140", v => HostView.Filled(v, 20, 200), v => HostView.Filled(v, 20, 140), true, false),
        ("transposeB 140×33×260", v => HostView.Filled(v, 140, 33), v => HostView.Filled(v, 260, 33), false, true),
        ("both transposed 129×17×129", v => HostView.Filled(v, 17, 129), v => HostView.Filled(v, 129, 17), true,
            true),
        ("broadcast batch 2×130×12×5", v => HostView.Filled(v, 2, 1, 130, 12), v => HostView.Filled(v, 3, 12, 5),
            false, false),
        ("sliced 256×64×128", v => HostView.Filled(v, 256, 70).Slice(1, 3, 67), v => HostView.Filled(v, 64, 128),
            false, false),
    ];

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Blocked_kernel_matches_the_float64_reference(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        if (device.MaxGroupSize < MatMulBlocked.GroupSize)
        {
            Assert.Skip($"{deviceName}: groups of at most {device.MaxGroupSize} threads; the blocked kernel needs " +
                        $"{MatMulBlocked.GroupSize} (it is checked on OpenCL and CUDA, and its PTX below)");
        }
        var log = new Mismatches();
        Check<float>(device, MatMulKernel.Blocked, 6e-8, log);
        Check<double>(device, MatMulKernel.Blocked, 1.2e-16, log);
        log.AssertNone();
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void CuBlas_matches_the_float64_reference(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        if (!device.HasCuBlas)
        {
            Assert.Skip($"{deviceName}: {device.CuBlasStatus}");
        }
        var log = new Mismatches();
        Check<float>(device, MatMulKernel.CuBlas, 6e-8, log);
        Check<double>(device, MatMulKernel.CuBlas, 1.2e-16, log);
        log.AssertNone();
    }

    /// <summary>
    /// The CPU device's register-blocked host loop (Auto there, for products of at least 2¹⁵ multiply-adds with N of
    /// a vector or more): every shared case and the large ones, with their biases, in float and double.
    /// </summary>
    [Fact]
    public void Cpu_device_blocked_host_loop_matches_the_float64_reference()
    {
        var log = new Mismatches();
        Check<float>(Device.Cpu, MatMulKernel.Auto, 6e-8, log);
        Check<double>(Device.Cpu, MatMulKernel.Auto, 1.2e-16, log);
        log.AssertNone();
    }

    [Fact]
    public void Blocked_kernel_switches_off_cleanly_where_groups_are_small()
    {
        var cpu = Device.Cpu;
        using var buffers = new BufferSet();
        var a = StridedView.Contiguous(buffers.Upload(cpu, new float[6]), [2, 3]);
        var c = buffers.Rent<float>(cpu, 4);
        var e = Assert.Throws<NotSupportedException>(() =>
            Primitives.MatMul(a, a, c, transposeB: true, kernel: MatMulKernel.Blocked));
        Assert.Contains("256", e.Message, StringComparison.Ordinal);
        Assert.Contains("cpu", e.Message, StringComparison.Ordinal);
        var blas = Assert.Throws<NotSupportedException>(() =>
            Primitives.MatMul(a, a, c, transposeB: true, kernel: MatMulKernel.CuBlas));
        Assert.Contains("CUDA only", blas.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Every layout that has a GEMM plan, run as the column-major GEMM the plan describes (op, leading dimension,
    /// Cᵀ = Bᵀ·Aᵀ) in C# over the operands' memory, gives the product: the mapping cuBLAS is called with is right
    /// before any GPU runs it. Layouts without a plan (negative or zero strides in a matrix) are the expected ones.
    /// </summary>
    [Fact]
    public void Gemm_plans_reproduce_the_product_as_column_major_gemm()
    {
        var cpu = Device.Cpu;
        var random = new Random(5);
        var values = Enumerable.Range(0, 40000).Select(_ => random.NextDouble() * 2 - 1).ToArray();
        var log = new Mismatches();
        var planned = new List<string>();
        foreach (var (name, makeA, makeB, ta, tb) in MatMulTests.Cases.Concat(LargeCases))
        {
            var a = makeA(values);
            var b = makeB(values.Reverse().ToArray());
            if (a.Size == 0 || b.Size == 0)
            {
                continue;
            }
            using var buffers = new BufferSet();
            var av = a.Upload<double>(cpu, buffers);
            var bv = b.Upload<double>(cpu, buffers);
            var s = Primitives.MatMulGeometry(av, bv, ta, tb);
            if (!GemmPlan.TryCreate(s, out var plan))
            {
                continue;
            }
            planned.Add(name);
            var (expected, magnitude) = MatMulTests.Reference(a, b, ta, tb);
            var actual = ColumnMajorGemm(av.Buffer.ToArray(), bv.Buffer.ToArray(), s, plan);
            log.Compare($"gemm plan {plan} for {name}", actual, expected, i => new Tolerance(0, 1e-14 * magnitude[i]));
        }
        log.AssertNone();
        Assert.Contains("2-D", planned);
        Assert.Contains("transposeA", planned);
        Assert.Contains("transposeB", planned);
        Assert.Contains("both transposed, batched", planned);
        Assert.Contains("transposed view", planned);
        Assert.Contains("broadcast batch", planned);
        Assert.Contains("sliced 256×64×128", planned);
        Assert.DoesNotContain("permuted batch", planned); // B is flipped: a negative column stride
    }

    /// <summary>
    /// What cuBLAS computes for the plan, written out: Z = op(X)·op(Y) with X, Y, Z column-major, X = Bᵀ (N×K),
    /// Y = Aᵀ (K×M), Z = Cᵀ (N×M, leading dimension N), once per batch.
    /// </summary>
    private static double[] ColumnMajorGemm(double[] a, double[] b, MatMulShape s, GemmPlan plan)
    {
        var c = new double[s.Batch * s.M * s.N];
        for (int batch = 0; batch < s.Batch; batch++)
        {
            int baseA = s.BatchA.OffsetOf(batch);
            int baseB = s.BatchB.OffsetOf(batch);
            double X(int i, int k) => plan.TransposeX ? b[baseB + k + i * plan.LeadingX] : b[baseB + i + k * plan.LeadingX];
            double Y(int k, int j) => plan.TransposeY ? a[baseA + j + k * plan.LeadingY] : a[baseA + k + j * plan.LeadingY];
            for (int j = 0; j < s.M; j++)
            {
                for (int i = 0; i < s.N; i++)
                {
                    double sum = 0;
                    for (int k = 0; k < s.K; k++)
                    {
                        sum += X(i, k) * Y(k, j);
                    }
                    c[batch * s.M * s.N + i + j * s.N] = sum;
                }
            }
        }
        return c;
    }

    private static void Check<T>(Device device, MatMulKernel kernel, double epsilon, Mismatches log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(7);
        var values = HostView.Round<T>(Enumerable.Range(0, 40000).Select(_ => random.NextDouble() * 2 - 1));
        foreach (var (index, (name, makeA, makeB, ta, tb)) in MatMulTests.Cases.Concat(LargeCases).Index())
        {
            var a = makeA(values);
            var b = makeB(values.Reverse().ToArray());
            string context = $"matmul {kernel} {typeof(T).Name} {name}: {a}{(ta ? "ᵀ" : "")} · {b}{(tb ? "ᵀ" : "")} " +
                             $"on {device}";
            log.Run(context, () =>
            {
                using var buffers = new BufferSet();
                var av = a.Upload<T>(device, buffers);
                var bv = b.Upload<T>(device, buffers);
                if (kernel == MatMulKernel.CuBlas && a.Size > 0 && b.Size > 0 &&
                    !GemmPlan.TryCreate(Primitives.MatMulGeometry(av, bv, ta, tb), out _))
                {
                    return; // a layout cuBLAS cannot read; Auto gives it to the own kernels
                }
                var (expected, magnitude) = MatMulTests.Reference(a, b, ta, tb);
                int k = ta ? a.Shape[^2] : a.Shape[^1];
                var c = buffers.Rent<T>(device, expected.Length);
                Primitives.MatMul(av, bv, c, ta, tb, kernel);
                log.Compare(context, c.ToArray().Select(double.CreateTruncating).ToArray(), expected,
                    i => new Tolerance(0, (k + 1) * epsilon * magnitude[i]));
                var bias = MatMulTests.BiasFor(index, tb ? b.Shape[^2] : b.Shape[^1],
                    values);
                var (withBias, magnitudeWithBias) = MatMulTests.WithBias(expected, magnitude, bias);
                var biasView = bias.Upload<T>(device, buffers);
                Primitives.MatMul(av, bv, c, ta, tb, kernel, biasView);
                log.Compare($"{context} + bias {bias}", c.ToArray().Select(double.CreateTruncating).ToArray(), withBias,
                    i => new Tolerance(0, (k + 2) * epsilon * magnitudeWithBias[i]));
                MatMulTests.CompareFused(log, $"{context} + bias", device, buffers, expected.Length, av, bv, ta, tb,
                    kernel, biasView);
            });
        }
    }
}
