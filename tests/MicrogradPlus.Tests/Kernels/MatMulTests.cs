using System.Numerics;
using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Kernels;

/// <summary>
/// The naive and the tiled matrix-product kernels, each against a float64 reference and against each other: 2-D,
/// batched and broadcast batches, transpose flags, non-contiguous operands, empty and single-row/column products, and
/// sizes that are no multiple of any tile; each case also with a bias added in the same launch, the bias contiguous,
/// reversed, broadcast from one value or offset in its buffer, and with the bias and a relu fused into the store,
/// which must equal the unfused product's relu bit for bit.
/// </summary>
public class MatMulTests
{
    internal static readonly (string Name, Func<double[], HostView> A, Func<double[], HostView> B, bool TransposeA,
        bool TransposeB)[] Cases =
    [
        ("2-D", v => HostView.Filled(v, 3, 4), v => HostView.Filled(v, 4, 5), false, false),
        ("7×5×9", v => HostView.Filled(v, 7, 5), v => HostView.Filled(v, 5, 9), false, false),
        ("37×19×23", v => HostView.Filled(v, 37, 19), v => HostView.Filled(v, 19, 23), false, false),
        ("M = 1", v => HostView.Filled(v, 1, 7), v => HostView.Filled(v, 7, 5), false, false),
        ("N = 1", v => HostView.Filled(v, 6, 7), v => HostView.Filled(v, 7, 1), false, false),
        ("dot", v => HostView.Filled(v, 1, 9), v => HostView.Filled(v, 9, 1), false, false),
        ("K = 1", v => HostView.Filled(v, 5, 1), v => HostView.Filled(v, 1, 6), false, false),
        ("K = 0", v => HostView.Filled(v, 3, 0), v => HostView.Filled(v, 0, 4), false, false),
        ("M = 0", v => HostView.Filled(v, 0, 4), v => HostView.Filled(v, 4, 5), false, false),
        ("empty batch", v => HostView.Filled(v, 0, 3, 4), v => HostView.Filled(v, 4, 5), false, false),
        ("batched", v => HostView.Filled(v, 2, 3, 4), v => HostView.Filled(v, 2, 4, 5), false, false),
        ("broadcast batch", v => HostView.Filled(v, 2, 1, 5, 6), v => HostView.Filled(v, 3, 6, 4), false, false),
        ("matrix × batch", v => HostView.Filled(v, 5, 6), v => HostView.Filled(v, 3, 6, 4), false, false),
        ("batch × matrix, odd", v => HostView.Filled(v, 3, 17, 19), v => HostView.Filled(v, 19, 18), false, false),
        ("transposeA", v => HostView.Filled(v, 4, 3), v => HostView.Filled(v, 4, 5), true, false),
        ("transposeB", v => HostView.Filled(v, 3, 4), v => HostView.Filled(v, 5, 4), false, true),
        ("both transposed, batched", v => HostView.Filled(v, 2, 4, 3), v => HostView.Filled(v, 2, 5, 4), true, true),
        ("transposed view", v => HostView.Filled(v, 4, 3).TransposeLast(), v => HostView.Filled(v, 4, 9).Slice(1, 2, 7),
            false, false),
        ("transposed view with flag", v => HostView.Filled(v, 3, 4).TransposeLast(),
            v => HostView.Filled(v, 4, 5).TransposeLast(), true, true),
        ("expanded batch", v => HostView.Filled(v, 1, 3, 4).Expand(2, 3, 4), v => HostView.Filled(v, 2, 4, 5), false,
            false),
        ("permuted batch", v => HostView.Filled(v, 3, 2, 4).Permute(1, 0, 2), v => HostView.Filled(v, 4, 5).Flip(1),
            false, false),
        ("rank 5 batch", v => HostView.Filled(v, 2, 1, 2, 3, 4), v => HostView.Filled(v, 3, 1, 4, 2), false, false),
    ];

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Naive_and_tiled_match_the_float64_reference(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var log = new Mismatches();
        Check<float>(scope.Device, 6e-8, log);
        log.AssertNone();
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Naive_and_tiled_in_float64_match_the_reference(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var log = new Mismatches();
        Check<double>(scope.Device, 1.2e-16, log);
        log.AssertNone();
    }

    [Fact]
    public void Shape_errors_name_both_operands()
    {
        var cpu = Device.Cpu;
        using var buffers = new BufferSet();
        StridedView<float> View(params int[] shape) =>
            StridedView.Contiguous(buffers.Rent<float>(cpu, shape.Aggregate(1, (a, b) => a * b)), shape);
        var c = buffers.Rent<float>(cpu, 64);

        var e = Assert.Throws<ArgumentException>(() => Primitives.MatMul(View(3, 4), View(5, 6), c));
        Assert.Contains("(3, 4)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(5, 6)", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<ArgumentException>(() => Primitives.MatMul(View(4), View(4, 5), c));
        Assert.Contains("(4,)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(4, 5)", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<ArgumentException>(() => Primitives.MatMul(View(2, 3, 4), View(3, 4, 5), c));
        Assert.Contains("(2, 3, 4)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(3, 4, 5)", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<ArgumentException>(() => Primitives.MatMul(View(3, 4), View(3, 5), c, transposeA: false));
        Assert.Contains("(3, 4)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(3, 5)", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<ArgumentException>(() => Primitives.MatMul(View(3, 4), View(4, 5), c));
        Assert.Contains("(3, 5)", e.Message, StringComparison.Ordinal);
        Assert.Equal([2, 3, 7], Primitives.MatMulShape([2, 4, 3], [7, 4], transposeA: true, transposeB: true));
    }

    private static void Check<T>(Device device, double epsilon, Mismatches log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(3);
        var values = HostView.Round<T>(Enumerable.Range(0, 1000).Select(_ => random.NextDouble() * 2 - 1));
        foreach (var (index, (name, makeA, makeB, ta, tb)) in Cases.Index())
        {
            var a = makeA(values);
            var b = makeB(values.Reverse().ToArray());
            string context = $"matmul {typeof(T).Name} {name}: {a}{(ta ? "ᵀ" : "")} · {b}{(tb ? "ᵀ" : "")} on {device}";
            log.Run(context, () =>
            {
                var (expected, magnitude) = Reference(a, b, ta, tb);
                var bias = BiasFor(index, tb ? b.Shape[^2] : b.Shape[^1], values);
                var (expectedWithBias, magnitudeWithBias) = WithBias(expected, magnitude, bias);
                // A K-term dot product is within K·ε·Σ|a·b| of the exact value, in any summation order.
                int k = ta ? a.Shape[^2] : a.Shape[^1];
                Tolerance At(int i) => new(0, (k + 1) * epsilon * magnitude[i]);
                Tolerance AtWithBias(int i) => new(0, (k + 2) * epsilon * magnitudeWithBias[i]);
                using var buffers = new BufferSet();
                var av = a.Upload<T>(device, buffers);
                var bv = b.Upload<T>(device, buffers);
                var biasView = bias.Upload<T>(device, buffers);
                double[] Run(MatMulKernel kernel, bool withBias)
                {
                    var c = buffers.Rent<T>(device, expected.Length);
                    Primitives.MatMul(av, bv, c, ta, tb, kernel, withBias ? biasView : null);
                    return c.ToArray().Select(double.CreateTruncating).ToArray();
                }
                void CheckFused(string kernelName, MatMulKernel kernel, bool withBias) =>
                    CompareFused(log, $"{context}, {kernelName}{(withBias ? " + bias" : "")}", device, buffers,
                        expected.Length, av, bv, ta, tb, kernel, withBias ? biasView : null);
                var naiveValues = Run(MatMulKernel.Naive, false);
                log.Compare($"{context}, naive", naiveValues, expected, At);
                log.Compare($"{context}, auto", Run(MatMulKernel.Auto, false), expected, At);
                var naiveWithBias = Run(MatMulKernel.Naive, true);
                log.Compare($"{context}, naive + bias {bias}", naiveWithBias, expectedWithBias, AtWithBias);
                var autoWithBias = Run(MatMulKernel.Auto, true);
                log.Compare($"{context}, auto + bias {bias}", autoWithBias, expectedWithBias, AtWithBias);
                CheckFused("naive", MatMulKernel.Naive, withBias: true);
                CheckFused("auto", MatMulKernel.Auto, withBias: false);
                CheckFused("auto", MatMulKernel.Auto, withBias: true);
                // ILGPU's CPU accelerator runs a group's barriers on OS threads (~0.3 ms each, 2×2 tiles there): the
                // tiled kernel gets the small cases on the CPU — odd ones included — and every case on GPUs.
                if (device.Kind == DeviceKind.Cpu && expected.Length > 200)
                {
                    return;
                }
                var tiledValues = Run(MatMulKernel.Tiled, false);
                log.Compare($"{context}, tiled", tiledValues, expected, At);
                log.Compare($"{context}, tiled against naive", tiledValues, naiveValues, i => At(i).Times(2));
                log.Compare($"{context}, tiled + bias {bias}", Run(MatMulKernel.Tiled, true), expectedWithBias,
                    AtWithBias);
                CheckFused("tiled", MatMulKernel.Tiled, withBias: true);
            });
        }
    }

    /// <summary>
    /// The product with each activation the kernels can apply as they store C (relu, tanh, sigmoid) against the same
    /// kernel's product without it followed by the activation as an op of its own on the device: equal bit for bit.
    /// </summary>
    /// <remarks>
    /// A kernel named explicitly on the CPU device runs on ILGPU's CPU accelerator while the separate activation runs
    /// as the device's host loop (with vector forms that may differ in the last bit): not compared there; those kernels
    /// are compared on cpu-ilgpu, where both run as kernels.
    /// </remarks>
    internal static void CompareFused<T>(Mismatches log, string context, Device device, BufferSet buffers, int length,
        StridedView<T> a, StridedView<T> b, bool ta, bool tb, MatMulKernel kernel, StridedView<T>? bias)
        where T : unmanaged, INumber<T>
    {
        if (device.RunsHostLoops && kernel != MatMulKernel.Auto)
        {
            return;
        }
        var plain = buffers.Rent<T>(device, length);
        Primitives.MatMul(a, b, plain, ta, tb, kernel, bias);
        var product = StridedView.Contiguous(plain, [length]);
        foreach (string activation in new[] { "relu", "tanh", "sigmoid" })
        {
            var fused = buffers.Rent<T>(device, length);
            var separate = buffers.Rent<T>(device, length);
            switch (activation)
            {
                case "relu":
                    Activated<T, ReluOp, ReluOp>(a, b, fused, ta, tb, kernel, bias, product, separate);
                    break;
                case "tanh":
                    Activated<T, TanhOp, TanhOp>(a, b, fused, ta, tb, kernel, bias, product, separate);
                    break;
                default:
                    Activated<T, SigmoidOp, SigmoidOp>(a, b, fused, ta, tb, kernel, bias, product, separate);
                    break;
            }
            log.Compare($"{context} + {activation} (fused against the two ops)",
                fused.ToArray().Select(double.CreateTruncating).ToArray(),
                separate.ToArray().Select(double.CreateTruncating).ToArray(), _ => Tolerance.Exact);
        }
    }

    // The fused product into `fused`, and the activation of the plain product into `separate`, for T = float (TF) or
    // double (TD): the operator structs are typed per element type, the test generic.
    private static void Activated<T, TF, TD>(StridedView<T> a, StridedView<T> b, DeviceBuffer<T> fused, bool ta,
        bool tb, MatMulKernel kernel, StridedView<T>? bias, StridedView<T> product, DeviceBuffer<T> separate)
        where T : unmanaged, INumber<T>
        where TF : struct, IUnaryOp<float>
        where TD : struct, IUnaryOp<double>
    {
        static StridedView<TE>? As<TE>(object? view) where TE : unmanaged => (StridedView<TE>?)view;
        if (fused is DeviceBuffer<float> f)
        {
            Primitives.MatMul<float, TF>(As<float>(a)!, As<float>(b)!, f, ta, tb, kernel, As<float>(bias));
            Primitives.Map<float, TF>(As<float>(product)!, (DeviceBuffer<float>)(object)separate);
        }
        else
        {
            var d = (DeviceBuffer<double>)(object)fused;
            Primitives.MatMul<double, TD>(As<double>(a)!, As<double>(b)!, d, ta, tb, kernel, As<double>(bias));
            Primitives.Map<double, TD>(As<double>(product)!, (DeviceBuffer<double>)(object)separate);
        }
    }

    /// <summary>
    /// A bias of length <paramref name="n"/> for case <paramref name="index"/>, in one of four layouts by turns:
    /// contiguous, reversed (a negative stride), one value broadcast (stride 0), and offset inside its buffer.
    /// </summary>
    internal static HostView BiasFor(int index, int n, double[] values)
    {
        var shifted = values.Skip(index + 1).ToArray();
        return (index % 4) switch
        {
            0 => HostView.Filled(shifted, n),
            1 => HostView.Filled(shifted, n).Flip(0),
            2 => HostView.Filled(shifted, 1).Expand(n),
            _ => HostView.Filled(shifted, n + 3).Slice(0, 3, n + 3),
        };
    }

    /// <summary>The reference with the bias added to every row, and the magnitudes with |bias| added.</summary>
    internal static (double[] Values, double[] Magnitude) WithBias(double[] values, double[] magnitude, HostView bias)
    {
        int n = bias.Shape[0];
        return (values.Select((v, i) => v + bias.At([i % n])).ToArray(),
            magnitude.Select((m, i) => m + Math.Abs(bias.At([i % n]))).ToArray());
    }

    [Fact]
    public void A_bias_that_does_not_fit_names_its_shape_and_the_operands()
    {
        var cpu = Device.Cpu;
        using var buffers = new BufferSet();
        StridedView<float> View(params int[] shape) =>
            StridedView.Contiguous(buffers.Rent<float>(cpu, shape.Aggregate(1, (a, b) => a * b)), shape);
        var c = buffers.Rent<float>(cpu, 15);
        foreach (var bias in new[] { View(3), View(1, 5), View(6) })
        {
            var e = Assert.Throws<ArgumentException>(() => Primitives.MatMul(View(3, 4), View(4, 5), c, bias: bias));
            Assert.Contains(Shapes.Format(bias.Shape), e.Message, StringComparison.Ordinal);
            Assert.Contains("(3, 4)", e.Message, StringComparison.Ordinal);
            Assert.Contains("(4, 5)", e.Message, StringComparison.Ordinal);
            Assert.Contains("(5,)", e.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>C = op(A)·op(B) in float64 with NumPy batch broadcasting, and Σ|a·b| per element.</summary>
    internal static (double[] Values, double[] Magnitude) Reference(HostView a, HostView b, bool ta, bool tb)
    {
        int m = ta ? a.Shape[^1] : a.Shape[^2];
        int k = ta ? a.Shape[^2] : a.Shape[^1];
        int n = tb ? b.Shape[^2] : b.Shape[^1];
        int[] batch = HostView.BroadcastShape(a.Shape[..^2], b.Shape[..^2]);
        var values = new List<double>();
        var magnitude = new List<double>();
        foreach (var index in HostView.Indices([.. batch, m, n]))
        {
            var ai = (int[])index.Clone();
            var bi = (int[])index.Clone();
            double sum = 0, abs = 0;
            for (int j = 0; j < k; j++)
            {
                (ai[^2], ai[^1]) = ta ? (j, index[^2]) : (index[^2], j);
                (bi[^2], bi[^1]) = tb ? (index[^1], j) : (j, index[^1]);
                double product = a.At(ai) * b.At(bi);
                sum += product;
                abs += Math.Abs(product);
            }
            values.Add(sum);
            magnitude.Add(abs);
        }
        return ([.. values], [.. magnitude]);
    }
}
