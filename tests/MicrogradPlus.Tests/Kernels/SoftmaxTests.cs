using System.Numerics;
using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Kernels;

/// <summary>
/// The fused softmax and log-softmax primitives, forward and backward, and the fused cross-entropy forward, against
/// float64 references: every strategy (a thread per row, a group per row, the automatic choice), views of every kind
/// along every axis, long rows, huge, infinite and NaN logits, and empty inputs. Rows are read online (the maximum
/// and the sum formed in one read): rows whose maximum keeps rising, and rows of infinities, check the rescaling.
/// </summary>
public class SoftmaxTests
{
    /// <summary>An input and the axes it is normalized along.</summary>
    private static readonly (string Name, Func<double[], HostView> Make, int[] Axes)[] Inputs =
    [
        ("contiguous", v => HostView.Filled(v, 3, 5), [-1, 0]),
        ("long rows", v => HostView.Filled(v, 4, 300), [1, 0]),
        ("permuted", v => HostView.Filled(v, 5, 3, 4).Permute(2, 0, 1), [0, 1, 2]),
        ("expanded", v => HostView.Filled(v, 1, 4, 1).Expand(3, 4, 5), [0, 2]),
        // Expanded along the axis: x's other dimensions merge into one run of 32 rows, y's into runs of 16.
        ("expanded along the axis", v => HostView.Filled(v, 2, 1, 16).Expand(2, 3, 16), [1]),
        ("flipped", v => HostView.Filled(v, 6, 9).Flip(1), [1]),
        ("rank 0", v => HostView.Filled(v), [0, -1]),
        ("size-1 axis", v => HostView.Filled(v, 3, 1), [1]),
        ("zero-size", v => HostView.Filled(v, 2, 0, 3), [1, 0]),
        ("extremes", _ => HostView.Contiguous(
        [
            1000, 999, -1000, 998.5, 1000, 0, -3, 7, 1,
            double.NegativeInfinity, 2, double.NegativeInfinity, 1, 0, -1, 3, 2, 1,
            1, 2, double.NaN, 4, 5, 6, 7, 8, 9,
        ], 3, 9), [1]),
        // Rows of 19 (vector lanes and a scalar tail on the CPU device) with infinities: only −∞ (NaN, as PyTorch), −∞
        // before and after the maximum, one +∞ and two (NaN everywhere, as PyTorch), and maxima rising at every step
        // and falling.
        ("infinities", _ => HostView.Contiguous(
        [
            .. Enumerable.Repeat(double.NegativeInfinity, 19),
            .. Enumerable.Range(0, 19).Select(j => j % 3 == 2 ? j * 0.5 : double.NegativeInfinity),
            .. Enumerable.Range(0, 19).Select(j => j == 11 ? double.PositiveInfinity : j * 0.25),
            .. Enumerable.Range(0, 19).Select(j => j is 2 or 17 ? double.PositiveInfinity : -j),
            .. Enumerable.Range(0, 19).Select(j => j * 3.0 - 20),
            .. Enumerable.Range(0, 19).Select(j => 30 - j * 2.5),
        ], 6, 19), [1, 0]),
        // Along a leading axis, rows run across memory (the CPU device takes 16 of them at once): huge, infinite and
        // NaN values in the first three.
        ("extreme columns", v => HostView.Contiguous(
            v.Take(48).Select((value, i) => (i % 16) switch
            {
                0 => 1000 - i / 16,
                1 => i / 16 == 1 ? 2 : double.NegativeInfinity,
                2 => i / 16 == 1 ? double.NaN : value,
                _ => value,
            }).ToArray(), 3, 16), [0]),
    ];

    private static readonly ReduceStrategy[] Strategies =
        [ReduceStrategy.Rows, ReduceStrategy.Groups, ReduceStrategy.Auto];

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Softmax_matches_the_float64_reference(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var log = new Mismatches();
        CheckForward<float>(scope.Device, log);
        CheckForward<double>(scope.Device, log);
        log.AssertNone();
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Softmax_backward_matches_the_float64_reference(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var log = new Mismatches();
        CheckBackward<float>(scope.Device, log);
        CheckBackward<double>(scope.Device, log);
        log.AssertNone();
    }

    /// <summary>
    /// The fused cross-entropy forward (loss and each row's max and shifted log-sum-exp) with a thread per row and a
    /// group per row, on narrow, wide, transposed and extreme logits.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Cross_entropy_rows_match_the_float64_reference(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        var log = new Mismatches();
        var random = new Random(5);
        var values = Enumerable.Range(0, 900).Select(_ => random.NextDouble() * 8 - 4).ToArray();
        var inputs = new (string Name, HostView Logits)[]
        {
            ("narrow", HostView.Filled(values, 5, 9)),
            ("wide", HostView.Filled(values, 3, 300)),
            ("transposed", HostView.Filled(values, 300, 3).TransposeLast()),
            ("extremes", Inputs.Single(i => i.Name == "extremes").Make(values)),
            ("infinities", Inputs.Single(i => i.Name == "infinities").Make(values)),
        };
        foreach (var (name, logits) in inputs)
        {
            int n = logits.Shape[0], classes = logits.Shape[1];
            var x = logits.Logical();
            var targets = Enumerable.Range(0, n).Select(i => (i * 7 + 3) % classes).ToArray();
            var expectedLoss = new double[n];
            var expectedStats = new double[2 * n];
            for (int i = 0; i < n; i++)
            {
                var row = x.Skip(i * classes).Take(classes).ToArray();
                // The running maximum starts at the lowest finite float: a row of −∞ only keeps it, with Σ = 0.
                double max = row.Aggregate((double)float.MinValue, HostMath.Maximum);
                double logSum = Math.Log(row.Sum(v => Math.Exp(v - max)));
                expectedStats[2 * i] = max;
                expectedStats[2 * i + 1] = logSum;
                expectedLoss[i] = logSum - (row[targets[i]] - max);
            }
            foreach (var strategy in Strategies)
            {
                if (SkipGroups(device, strategy, logits, 1))
                {
                    continue;
                }
                string context = $"cross-entropy {name} {logits}, {strategy}, on {device}";
                log.Run(context, () =>
                {
                    using var buffers = new BufferSet();
                    var loss = buffers.Rent<float>(device, n);
                    var stats = buffers.Rent<float>(device, 2 * n);
                    Primitives.CrossEntropyRows<float, ScalarMath>(logits.Upload<float>(device, buffers),
                        buffers.Upload(device, targets.Select(t => (float)t).ToArray()), loss, stats, strategy);
                    var tolerance = ToleranceFor<float>(device, classes).Times(10);
                    log.Compare(context + ", loss", loss.ToArray().Select(v => (double)v).ToArray(),
                        HostView.Round<float>(expectedLoss), tolerance);
                    log.Compare(context + ", stats", stats.ToArray().Select(v => (double)v).ToArray(),
                        HostView.Round<float>(expectedStats), tolerance);
                });
            }
        }
        log.AssertNone();
    }

    /// <summary>
    /// Softmax, log-softmax and the cross-entropy forward of [8192, 1000] logits whose maximum keeps rising along each
    /// row (a ramp under noise, steeper in some rows, values up to ±60), so that the online sum is rescaled again and
    /// again, against float64; the automatic strategy (what ops get) on every device.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Long_rows_whose_maximum_keeps_rising_match_the_float64_reference(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        const int n = 8192, classes = 1000;
        var random = new Random(13);
        var x = HostView.Round<float>(Enumerable.Range(0, n * classes).Select(i =>
            (i / classes % 4) * 0.015 * (i % classes) + random.NextDouble() * 24 - 12 - (i / classes % 7) * 3));
        var targets = Enumerable.Range(0, n).Select(i => (i * 7919) % classes).ToArray();
        var expected = new double[n * classes];
        var expectedLog = new double[n * classes];
        var expectedLoss = new double[n];
        for (int i = 0; i < n; i++)
        {
            var row = x.AsSpan(i * classes, classes);
            double max = double.NegativeInfinity, sum = 0;
            foreach (double v in row)
            {
                max = Math.Max(max, v);
            }
            foreach (double v in row)
            {
                sum += Math.Exp(v - max);
            }
            for (int j = 0; j < classes; j++)
            {
                expected[i * classes + j] = Math.Exp(row[j] - max) / sum;
                expectedLog[i * classes + j] = row[j] - max - Math.Log(sum);
            }
            expectedLoss[i] = Math.Log(sum) - (row[targets[i]] - max);
        }
        var log = new Mismatches();
        var tolerance = ToleranceFor<float>(device, classes);
        // About 100 MB live at once would make the pool collect (leaving its growth mark high) and fill its cache:
        // with a larger bound for the test, and the cache emptied after, later tests see the pool as they left it.
        var pool = device.Pool;
        long bound = pool.MaxCachedBytes;
        pool.MaxCachedBytes = Math.Max(bound, 1L << 30);
        try
        {
            LongRowCases(device, x, n, classes, targets, expected, expectedLog, expectedLoss, tolerance, log);
        }
        finally
        {
            pool.MaxCachedBytes = bound;
            pool.Trim();
        }
        log.AssertNone();
    }

    private static void LongRowCases(Device device, double[] x, int n, int classes, int[] targets, double[] expected,
        double[] expectedLog, double[] expectedLoss, Tolerance tolerance, Mismatches log)
    {
        using var buffers = new BufferSet();
        var logits = StridedView.Contiguous(buffers.Upload(device, x.Select(v => (float)v).ToArray()), n, classes);
        foreach (bool logSoftmax in new[] { false, true })
        {
            string context = $"{(logSoftmax ? "log-softmax" : "softmax")} [{n}, {classes}] on {device}";
            log.Run(context, () =>
            {
                var y = buffers.Rent<float>(device, n * classes);
                Primitives.Softmax<float, ScalarMath>(logits, 1, y, logSoftmax);
                log.Compare(context, y.ToArray().Select(v => (double)v).ToArray(), logSoftmax ? expectedLog : expected,
                    tolerance);
            });
        }
        log.Run($"cross-entropy [{n}, {classes}] on {device}", () =>
        {
            var loss = buffers.Rent<float>(device, n);
            var stats = buffers.Rent<float>(device, 2 * n);
            Primitives.CrossEntropyRows<float, ScalarMath>(logits,
                buffers.Upload(device, targets.Select(t => (float)t).ToArray()), loss, stats, ReduceStrategy.Auto);
            log.Compare($"cross-entropy [{n}, {classes}] on {device}", loss.ToArray().Select(v => (double)v).ToArray(),
                expectedLoss, tolerance.Times(10));
        });
    }

    [Fact]
    public void Softmax_rejects_bad_axes_and_outputs()
    {
        var cpu = Device.Cpu;
        using var buffers = new BufferSet();
        var x = StridedView.Contiguous(buffers.Rent<float>(cpu, 6), 2, 3);
        var range = Assert.Throws<ArgumentOutOfRangeException>(
            () => Primitives.Softmax<float, ScalarMath>(x, 2, buffers.Rent<float>(cpu, 6)));
        Assert.Contains("axis 2", range.Message, StringComparison.Ordinal);
        Assert.Contains("rank 2", range.Message, StringComparison.Ordinal);
        var size = Assert.Throws<ArgumentException>(
            () => Primitives.Softmax<float, ScalarMath>(x, 1, buffers.Rent<float>(cpu, 5), log: true));
        Assert.Contains("log-softmax", size.Message, StringComparison.Ordinal);
        Assert.Contains("(2, 3)", size.Message, StringComparison.Ordinal);
        var y = buffers.Rent<float>(cpu, 6);
        var g = StridedView.Contiguous(buffers.Rent<float>(cpu, 6), 3, 2);
        var dx = Assert.Throws<ArgumentException>(
            () => Primitives.SoftmaxBackward<float, ScalarMath>(y, g, 0, buffers.Rent<float>(cpu, 4)));
        Assert.Contains("softmax backward", dx.Message, StringComparison.Ordinal);
        Assert.Contains("(3, 2)", dx.Message, StringComparison.Ordinal);
    }

    private static void CheckForward<T>(Device device, Mismatches log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(7);
        var values = HostView.Round<T>(Enumerable.Range(0, 600).Select(_ => random.NextDouble() * 8 - 4));
        foreach (var (inputName, make, axes) in Inputs)
        {
            var x = make(values);
            foreach (int axis in axes)
            {
                foreach (bool logSoftmax in new[] { false, true })
                {
                    var expected = Reference(x, axis, logSoftmax);
                    foreach (var strategy in Strategies)
                    {
                        if (SkipGroups(device, strategy, x, axis))
                        {
                            continue;
                        }
                        string context = $"{(logSoftmax ? "log-softmax" : "softmax")} {typeof(T).Name} {inputName} " +
                                         $"{x} along {axis}, {strategy}, on {device}";
                        log.Run(context, () =>
                        {
                            using var buffers = new BufferSet();
                            var y = buffers.Rent<T>(device, x.Size);
                            Softmax(x.Upload<T>(device, buffers), axis, y, logSoftmax, strategy);
                            var actual = y.ToArray().Select(double.CreateTruncating).ToArray();
                            log.Compare(context, actual, expected, ToleranceFor<T>(device, RowLength(x, axis)));
                        });
                    }
                }
            }
        }
    }

    private static void CheckBackward<T>(Device device, Mismatches log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(11);
        var values = HostView.Round<T>(Enumerable.Range(0, 600).Select(_ => random.NextDouble() * 8 - 4));
        var gradients = HostView.Round<T>(Enumerable.Range(0, 600).Select(_ => random.NextDouble() * 2 - 1));
        foreach (var (inputName, make, axes) in Inputs)
        {
            var x = make(values);
            // The incoming gradient contiguous, and in the reversed memory order (every stride different).
            var reversed = Enumerable.Range(0, x.Rank).Reverse().ToArray();
            var gs = new[]
            {
                HostView.Filled(gradients, x.Shape),
                HostView.Filled(gradients, reversed.Select(d => x.Shape[d]).ToArray()).Permute(reversed),
            };
            foreach (int axis in axes)
            {
                foreach (bool logSoftmax in new[] { false, true })
                {
                    // The backward reads the forward's output: the reference output, rounded to T.
                    var y = HostView.Round<T>(Reference(x, axis, logSoftmax));
                    foreach (var g in gs)
                    {
                        var (expected, magnitude) = ReferenceGrad(y, g, axis, logSoftmax);
                        foreach (var strategy in Strategies)
                        {
                            if (SkipGroups(device, strategy, x, axis))
                            {
                                continue;
                            }
                            string context = $"{(logSoftmax ? "log-softmax" : "softmax")} backward {typeof(T).Name} " +
                                             $"{inputName} {x}, gradient {g}, along {axis}, {strategy}, on {device}";
                            log.Run(context, () =>
                            {
                                using var buffers = new BufferSet();
                                var yBuffer = buffers.Upload(device, y.Select(T.CreateTruncating).ToArray());
                                var dx = buffers.Rent<T>(device, x.Size);
                                SoftmaxBackward(yBuffer, g.Upload<T>(device, buffers), axis, dx, logSoftmax,
                                    strategy);
                                var actual = dx.ToArray().Select(double.CreateTruncating).ToArray();
                                // dx is a difference of two terms: its error scales with their size, not its own.
                                var basic = ToleranceFor<T>(device, RowLength(x, axis)).Times(4);
                                log.Compare(context, actual, expected,
                                    i => basic with { Absolute = basic.Absolute + basic.Relative * magnitude[i] });
                            });
                        }
                    }
                }
            }
        }
    }

    // ScalarMath is the math for float and double; a generic T picks its instantiation here.
    private static void Softmax<T>(StridedView<T> x, int axis, DeviceBuffer<T> y, bool log, ReduceStrategy strategy)
        where T : unmanaged
    {
        if (x is StridedView<float> f)
        {
            Primitives.Softmax<float, ScalarMath>(f, axis, (DeviceBuffer<float>)(object)y, log, strategy);
            return;
        }
        Primitives.Softmax<double, ScalarMath>((StridedView<double>)(object)x, axis, (DeviceBuffer<double>)(object)y,
            log, strategy);
    }

    private static void SoftmaxBackward<T>(DeviceBuffer<T> y, StridedView<T> g, int axis, DeviceBuffer<T> dx,
        bool log, ReduceStrategy strategy)
        where T : unmanaged
    {
        if (y is DeviceBuffer<float> f)
        {
            Primitives.SoftmaxBackward<float, ScalarMath>(f, (StridedView<float>)(object)g, axis,
                (DeviceBuffer<float>)(object)dx, log, strategy);
            return;
        }
        Primitives.SoftmaxBackward<double, ScalarMath>((DeviceBuffer<double>)(object)y, (StridedView<double>)(object)g,
            axis, (DeviceBuffer<double>)(object)dx, log, strategy);
    }

    /// <summary>
    /// ILGPU's CPU accelerator runs group barriers on OS threads (about a millisecond a row here), so a group per row
    /// is tried there only on inputs with few rows; GPUs take every case.
    /// </summary>
    private static bool SkipGroups(Device device, ReduceStrategy strategy, HostView x, int axis) =>
        strategy == ReduceStrategy.Groups && device.Kind == DeviceKind.Cpu &&
        x.Size / Math.Max(1, RowLength(x, axis)) > 16;

    private static int RowLength(HostView x, int axis) => x.Rank == 0 ? 1 : x.Shape[axis < 0 ? axis + x.Rank : axis];

    /// <summary>
    /// Rounding of one exp and a sum of n terms (about n·ε relative), and the looser transcendental bounds of each
    /// device (<see cref="Tolerance.F32"/>).
    /// </summary>
    private static Tolerance ToleranceFor<T>(Device device, int rowLength)
    {
        var basic = typeof(T) == typeof(float) ? Tolerance.F32(device, true) : Tolerance.F64(device, true);
        double epsilon = typeof(T) == typeof(float) ? 6e-8 : 1.2e-16;
        return new Tolerance(basic.Relative + rowLength * epsilon, basic.Absolute * 4);
    }

    /// <summary>
    /// The element offsets of every row along the axis, rows in row-major order of the other dimensions.
    /// </summary>
    private static IEnumerable<int[]> Rows(int[] shape, int axis)
    {
        if (shape.Length == 0)
        {
            yield return [0];
            yield break;
        }
        int a = axis < 0 ? axis + shape.Length : axis;
        int length = shape[a];
        int inner = shape.Skip(a + 1).Aggregate(1, (p, d) => p * d);
        int outer = shape.Take(a).Aggregate(1, (p, d) => p * d);
        for (int o = 0; o < outer; o++)
        {
            for (int k = 0; k < inner; k++)
            {
                yield return Enumerable.Range(0, length).Select(j => (o * length + j) * inner + k).ToArray();
            }
        }
    }

    private static double[] Reference(HostView x, int axis, bool log)
    {
        var values = x.Logical();
        var y = new double[values.Length];
        foreach (var row in Rows(x.Shape, axis))
        {
            double max = row.Aggregate(double.NegativeInfinity, (m, i) => HostMath.Maximum(m, values[i]));
            double sum = row.Sum(i => Math.Exp(values[i] - max));
            foreach (int i in row)
            {
                y[i] = log ? values[i] - max - Math.Log(sum) : Math.Exp(values[i] - max) / sum;
            }
        }
        return y;
    }

    /// <summary>The reference gradient, and per element the size of the two terms it is the difference of.</summary>
    private static (double[] Dx, double[] Magnitude) ReferenceGrad(double[] y, HostView gradient, int axis, bool log)
    {
        var g = gradient.Logical();
        var dx = new double[y.Length];
        var magnitude = new double[y.Length];
        foreach (var row in Rows(gradient.Shape, axis))
        {
            double dot = log ? row.Sum(i => g[i]) : row.Sum(i => g[i] * y[i]);
            double dotSize = log ? row.Sum(i => Math.Abs(g[i])) : row.Sum(i => Math.Abs(g[i] * y[i]));
            foreach (int i in row)
            {
                dx[i] = log ? g[i] - Math.Exp(y[i]) * dot : y[i] * (g[i] - dot);
                magnitude[i] = log
                    ? Math.Abs(g[i]) + Math.Exp(y[i]) * dotSize
                    : Math.Abs(y[i]) * (Math.Abs(g[i]) + dotSize);
            }
        }
        return (dx, magnitude);
    }
}
