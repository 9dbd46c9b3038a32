using System.Numerics;
using System.Runtime.Intrinsics;
using ILGPU;
using MicrogradPlus.Backends;
using MicrogradPlus.Backends.Gemm;
using MicrogradPlus.Kernels;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Kernels;

/// <summary>
/// The CPU device's GEMM paths against the float64 reference, each on its own: the managed GEMM on every register
/// width (128, 256 and 512 bits — a width the CPU lacks runs in software, slowly but exactly, so every micro-kernel
/// is checked on any machine) and the system BLAS where one is installed. Shapes: the matmul suite's cases (odd,
/// transposed, strided, broadcast batches, M = 1, K = 1) and shapes that cross every block edge — depth blocks (Kc),
/// row blocks (Mc), column blocks (Nc) — and split across cores along N and along M; each with and without a bias,
/// in float and double.
/// </summary>
public class HostGemmTests
{
    private static readonly (string Name, Func<double[], HostView> A, Func<double[], HostView> B, bool TransposeA,
        bool TransposeB)[] BlockCases =
    [
        ("depth blocks 13×600×21", v => HostView.Filled(v, 13, 600), v => HostView.Filled(v, 600, 21), false, false),
        ("row blocks 260×7×5, transposeA", v => HostView.Filled(v, 7, 260), v => HostView.Filled(v, 7, 5), true,
            false),
        ("column blocks 7×3×4200", v => HostView.Filled(v, 7, 3), v => HostView.Filled(v, 3, 4200), false, false),
        ("split along N 70×40×131, transposeB", v => HostView.Filled(v, 70, 40), v => HostView.Filled(v, 131, 40),
            false, true),
        ("split along M 300×30×9", v => HostView.Filled(v, 300, 30), v => HostView.Filled(v, 30, 9), false, false),
        ("split by batch 4×30×20×40", v => HostView.Filled(v, 4, 30, 20), v => HostView.Filled(v, 20, 40), false,
            false),
        ("strided both 50×33×47", v => HostView.Filled(v, 60, 40).Slice(0, 5, 55).Slice(1, 3, 36),
            v => HostView.Filled(v, 47, 40).Slice(1, 2, 35).TransposeLast(), false, false),
    ];

    public static TheoryData<int> Widths() => new(128, 256, 512);

    [Theory]
    [MemberData(nameof(Widths))]
    public void Managed_gemm_matches_the_float64_reference_on_every_width(int bits)
    {
        var log = new Mismatches();
        // Software vectors (a width the CPU lacks) are slow: the small cases only, which still cover every edge tile.
        bool native = bits switch
        {
            512 => Vector512.IsHardwareAccelerated,
            256 => Vector256.IsHardwareAccelerated,
            _ => Vector128.IsHardwareAccelerated,
        };
        var cases = native ? MatMulTests.Cases.Concat(BlockCases) : MatMulTests.Cases.AsEnumerable();
        void Gemm<T>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, ArrayView<T> bias, MatMulShape s)
            where T : unmanaged, INumber<T> => HostGemm.Run(a, b, c, bias, s, bits);
        Check<float>($"managed {bits}-bit", Gemm, cases, 6e-8, log);
        Check<double>($"managed {bits}-bit", Gemm, cases, 1.2e-16, log);
        log.AssertNone();
    }

    [Fact]
    public void System_blas_matches_the_float64_reference()
    {
        var blas = SystemBlas.Instance;
        if (blas is null)
        {
            Assert.Skip(SystemBlas.Status);
            return;
        }
        var log = new Mismatches();
        void Gemm<T>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, ArrayView<T> bias, MatMulShape s)
            where T : unmanaged, INumber<T>
        {
            if (!blas.TryRun(a, b, c, bias, s))
            {
                HostGemm.Run(a, b, c, bias, s); // no column-major plan (a flipped operand): what Auto does
            }
        }
        var cases = MatMulTests.Cases.Concat(BlockCases).ToArray();
        Check<float>("system BLAS", Gemm, cases, 6e-8, log);
        Check<double>("system BLAS", Gemm, cases, 1.2e-16, log);
        log.AssertNone();
    }

    [Fact]
    public void Cpu_device_reports_its_blas_and_can_turn_it_off()
    {
        var cpu = Device.Cpu;
        Assert.Equal(SystemBlas.Instance is not null, cpu.HasSystemBlas);
        Assert.False(string.IsNullOrWhiteSpace(cpu.SystemBlasStatus));
        bool before = cpu.UseSystemBlas;
        try
        {
            // The same product through both paths agrees to float rounding.
            var random = new Random(3);
            var a = Enumerable.Range(0, 96 * 80).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
            var b = Enumerable.Range(0, 80 * 72).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
            using var ta = MicrogradPlus.Tensor.FromArray(a, [96, 80], cpu);
            using var tb = MicrogradPlus.Tensor.FromArray(b, [80, 72], cpu);
            cpu.UseSystemBlas = true;
            using var withBlas = ta.MatMul(tb);
            cpu.UseSystemBlas = false;
            using var managed = ta.MatMul(tb);
            var x = withBlas.ToArray();
            var y = managed.ToArray();
            for (int i = 0; i < x.Length; i++)
            {
                Assert.True(Math.Abs(x[i] - y[i]) <= 1e-4f, $"element {i}: {x[i]} vs {y[i]}");
            }
        }
        finally
        {
            cpu.UseSystemBlas = before;
        }
        using var ilgpu = TestDevices.Use("cpu-ilgpu");
        Assert.False(ilgpu.Device.HasSystemBlas);
        Assert.Contains("cpu device only", ilgpu.Device.SystemBlasStatus, StringComparison.Ordinal);
    }

    private delegate void GemmRun<T>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, ArrayView<T> bias,
        MatMulShape s) where T : unmanaged, INumber<T>;

    private static void Check<T>(string path, GemmRun<T> run,
        IEnumerable<(string Name, Func<double[], HostView> A, Func<double[], HostView> B, bool TransposeA,
            bool TransposeB)> cases, double epsilon, Mismatches log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var cpu = Device.Cpu;
        var random = new Random(11);
        var values = HostView.Round<T>(Enumerable.Range(0, 90000).Select(_ => random.NextDouble() * 2 - 1));
        foreach (var (index, (name, makeA, makeB, ta, tb)) in cases.Index())
        {
            var a = makeA(values);
            var b = makeB(values.Reverse().ToArray());
            if (a.Size == 0 || b.Size == 0)
            {
                continue; // empty products never reach a GEMM (Primitives.MatMul fills C)
            }
            string context = $"{path} {typeof(T).Name} {name}: {a}{(ta ? "ᵀ" : "")} · {b}{(tb ? "ᵀ" : "")}";
            log.Run(context, () =>
            {
                using var buffers = new BufferSet();
                var av = a.Upload<T>(cpu, buffers);
                var bv = b.Upload<T>(cpu, buffers);
                var s = Primitives.MatMulGeometry(av, bv, ta, tb);
                var (expected, magnitude) = MatMulTests.Reference(a, b, ta, tb);
                var c = buffers.Rent<T>(cpu, expected.Length);
                run(av.Buffer.View, bv.Buffer.View, c.View, c.View, s);
                log.Compare(context, c.ToArray().Select(double.CreateTruncating).ToArray(), expected,
                    i => new Tolerance(0, (s.K + 1) * epsilon * magnitude[i]));

                var bias = MatMulTests.BiasFor(index, s.N, values);
                var biasView = bias.Upload<T>(cpu, buffers);
                var (withBias, magnitudeWithBias) = MatMulTests.WithBias(expected, magnitude, bias);
                s.HasBias = 1;
                s.BiasOffset = biasView.Offset;
                s.BiasStride = biasView.Strides[0];
                run(av.Buffer.View, bv.Buffer.View, c.View, biasView.Buffer.View, s);
                log.Compare($"{context} + bias {bias}", c.ToArray().Select(double.CreateTruncating).ToArray(),
                    withBias, i => new Tolerance(0, (s.K + 2) * epsilon * magnitudeWithBias[i]));
            });
        }
    }
}
