using System.Numerics;
using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Kernels;

/// <summary>
/// Reduce (sum, max, min; mean through the scale) over every axis set, both strategies, and ArgReduce, against float64
/// references; the inputs include permuted, broadcast, zero-size, rank-0 and long (group-tree) cases.
/// </summary>
public class ReduceTests
{
    private sealed record ReduceOp(string Name, double Identity, Func<double, double, double> Combine, bool IsSum);

    private static readonly ReduceOp Sum = new("SumReduce", 0, (a, b) => a + b, true);
    private static readonly ReduceOp Max = new("MaxReduce", double.NegativeInfinity, HostMath.Maximum, false);
    private static readonly ReduceOp Min = new("MinReduce", double.PositiveInfinity, HostMath.Minimum, false);

    /// <summary>An input and the axis lists it is reduced over (null and [] both mean every axis).</summary>
    private static readonly (string Name, Func<double[], HostView> Make, int[]?[] Axes)[] Inputs =
    [
        ("contiguous", v => HostView.Filled(v, 3, 4, 5),
            [null, [], [0], [1], [2], [-1], [0, 1], [0, 2], [1, 2], [-3, -1], [2, 0], [0, 1, 2]]),
        ("permuted", v => HostView.Filled(v, 5, 3, 4).Permute(2, 0, 1), [[0], [1], [-1], [0, 2], null]),
        ("expanded", v => HostView.Filled(v, 1, 4, 1).Expand(3, 4, 5), [[0], [2], [0, 2], null]),
        ("flipped", v => HostView.Filled(v, 6, 7).Flip(1), [[1], [0]]),
        ("zero-size", v => HostView.Filled(v, 2, 0, 3), [[1], [0], [0, 2], null]),
        ("rank 0", v => HostView.Filled(v), [null, [0], [-1]]),
        ("size-1 dims", v => HostView.Filled(v, 1, 5, 1), [[0, 2], [1], null]),
        ("long rows", v => HostView.Filled(v, 3, 1000), [[1], [0]]),
        ("long columns", v => HostView.Filled(v, 1000, 3), [[0]]),
        ("everything", v => HostView.Filled(v, 40, 50), [null]),
    ];

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Reduce_matches_the_float64_reference(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var log = new Mismatches();
        CheckReduce<float, SumReduce>(scope.Device, Sum, log);
        CheckReduce<float, MaxReduce>(scope.Device, Max, log);
        CheckReduce<float, MinReduce>(scope.Device, Min, log);
        log.AssertNone();
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Reduce_in_float64_matches_the_reference(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var log = new Mismatches();
        CheckReduce<double, SumReduce>(scope.Device, Sum, log);
        CheckReduce<double, MaxReduce>(scope.Device, Max, log);
        CheckReduce<double, MinReduce>(scope.Device, Min, log);
        log.AssertNone();
    }

    /// <summary>
    /// Few long row reductions (over the leading axis of a tall, narrow matrix) are split across threads on GPUs and
    /// finished by further passes: the result matches the reference for sum, mean, max and min, NaN included.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Few_long_row_reductions_split_across_threads_on_GPUs(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        if (device.Kind == DeviceKind.Cpu)
        {
            Assert.Skip($"{deviceName}: the CPU runs one row per core; splitting rows is for GPUs (OpenCL, CUDA)");
        }
        using var buffers = new BufferSet();
        const int rows = 5000, cols = 3;
        var data = Enumerable.Range(0, rows * cols).Select(i => Math.Sin(i * 0.01) + (i % 7) * 0.25).ToArray();
        var x = HostView.Contiguous(data, rows, cols).Upload<double>(device, buffers);
        var sum = buffers.Rent<double>(device, cols);
        long before = device.Launches;
        Primitives.Reduce<double, SumReduce>(x, [0], sum, 1d / rows, ReduceStrategy.Rows);
        Assert.True(device.Launches - before >= 2, $"expected a split reduction, got {device.Launches - before} launch");
        for (int c = 0; c < cols; c++)
        {
            double expected = Enumerable.Range(0, rows).Sum(r => data[r * cols + c]) / rows;
            Assert.Equal(expected, sum.ToArray()[c], 1e-12);
        }
        data[2500 * cols + 1] = double.NaN;
        data[4999 * cols + 2] = 99;
        var y = HostView.Contiguous(data, rows, cols).Upload<double>(device, buffers);
        var max = buffers.Rent<double>(device, cols);
        var min = buffers.Rent<double>(device, cols);
        Primitives.Reduce<double, MaxReduce>(y, [0], max, 1d, ReduceStrategy.Rows);
        Primitives.Reduce<double, MinReduce>(y, [0], min, 1d, ReduceStrategy.Rows);
        Assert.True(double.IsNaN(max.ToArray()[1]) && double.IsNaN(min.ToArray()[1]));
        Assert.Equal(99d, max.ToArray()[2]);
        Assert.Equal(Enumerable.Range(0, rows).Min(r => data[r * cols]), min.ToArray()[0]);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Reductions_propagate_NaN(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        using var buffers = new BufferSet();
        // Row 1 holds a NaN, first or last depending on the axis walked.
        var data = new double[] { 1, 2, 3, double.NaN, 5, 6, 7, 8, 9, 10, 11, double.NaN };
        var x = HostView.Contiguous(data, 3, 4).Upload<float>(device, buffers);
        foreach (var strategy in new[] { ReduceStrategy.Rows, ReduceStrategy.Groups })
        {
            var max = buffers.Rent<float>(device, 3);
            var min = buffers.Rent<float>(device, 3);
            var sum = buffers.Rent<float>(device, 4);
            Primitives.Reduce<float, MaxReduce>(x, [1], max, 1f, strategy);
            Primitives.Reduce<float, MinReduce>(x, [-1], min, 1f, strategy);
            Primitives.Reduce<float, SumReduce>(x, [0], sum, 1f, strategy);
            Assert.Equal([float.NaN, 8f, float.NaN], max.ToArray());
            Assert.Equal([float.NaN, 5f, float.NaN], min.ToArray());
            Assert.Equal([15f, 18f, 21f, float.NaN], sum.ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void ArgReduce_returns_the_first_extreme_index(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var log = new Mismatches();
        CheckArgReduce<float>(scope.Device, log);
        CheckArgReduce<double>(scope.Device, log);
        log.AssertNone();
    }

    [Fact]
    public void Reduce_rejects_bad_axes_and_outputs()
    {
        var cpu = Device.Cpu;
        using var buffers = new BufferSet();
        var x = StridedView.Contiguous(buffers.Rent<float>(cpu, 24), 2, 3, 4);
        var y = buffers.Rent<float>(cpu, 8);
        var range = Assert.Throws<ArgumentOutOfRangeException>(
            () => Primitives.Reduce<float, SumReduce>(x, [3], y, 1f));
        Assert.Contains("axis 3", range.Message, StringComparison.Ordinal);
        Assert.Contains("rank 3", range.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Primitives.Reduce<float, SumReduce>(x, [-4], y, 1f));
        var twice = Assert.Throws<ArgumentException>(() => Primitives.Reduce<float, SumReduce>(x, [1, -2], y, 1f));
        Assert.Contains("twice", twice.Message, StringComparison.Ordinal);
        var size = Assert.Throws<ArgumentException>(
            () => Primitives.Reduce<float, SumReduce>(x, [0], buffers.Rent<float>(cpu, 11), 1f));
        Assert.Contains("(3, 4)", size.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ArgReduce_rejects_empty_and_bad_axes()
    {
        var cpu = Device.Cpu;
        using var buffers = new BufferSet();
        var empty = StridedView.Contiguous(buffers.Rent<float>(cpu, 0), 5, 0);
        var e = Assert.Throws<ArgumentException>(() => Primitives.ArgReduce(empty, 1, buffers.Rent<int>(cpu, 5)));
        Assert.Contains("(5, 0)", e.Message, StringComparison.Ordinal);
        var x = StridedView.Contiguous(buffers.Rent<float>(cpu, 6), 2, 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => Primitives.ArgReduce(x, 2, buffers.Rent<int>(cpu, 2)));
        Assert.Throws<ArgumentException>(() => Primitives.ArgReduce(x, 1, buffers.Rent<int>(cpu, 3)));
    }

    private static void CheckReduce<T, TOp>(Device device, ReduceOp op, Mismatches log)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IReduceOp<T>
    {
        var random = new Random(op.Name.Length);
        var values = HostView.Round<T>(Enumerable.Range(0, 3000).Select(_ => random.NextDouble() * 4 - 2));
        // Float sums of n terms are within about n·ε·Σ|x| of the exact sum (Higham); half of that bound is ample.
        double epsilon = typeof(T) == typeof(float) ? 6e-8 : 1.2e-16;
        foreach (var (inputName, make, axesList) in Inputs)
        {
            var x = make(values);
            foreach (var axes in axesList)
            {
                var normalized = axes is null || axes.Length == 0
                    ? Enumerable.Range(0, x.Rank).ToArray()
                    : axes.Select(a => a < 0 ? a + Math.Max(x.Rank, 1) : a).ToArray();
                int count = normalized.Where(a => a < x.Rank).Aggregate(1, (n, a) => n * x.Shape[a]);
                foreach (bool mean in op.IsSum ? new[] { false, true } : [false])
                {
                    double scale = mean ? 1.0 / count : 1.0;
                    var (expected, magnitude) = Reference(x, normalized, op, scale);
                    foreach (var strategy in new[] { ReduceStrategy.Rows, ReduceStrategy.Groups, ReduceStrategy.Auto })
                    {
                        // ILGPU's CPU accelerator runs group barriers on OS threads (0.3–3 ms per output here), so
                        // the group tree gets only the cases with few outputs there (still more than its 8 groups,
                        // so the grid-stride loop over outputs runs). GPUs take every case.
                        if (strategy == ReduceStrategy.Groups && device.Kind == DeviceKind.Cpu && expected.Length > 64)
                        {
                            continue;
                        }
                        string axesText = axes is null ? "null" : $"[{string.Join(", ", axes)}]";
                        string context = $"reduce {op.Name}{(mean ? " (mean)" : "")} {typeof(T).Name} {inputName} " +
                                         $"{x} over {axesText}, {strategy}, on {device}";
                        log.Run(context, () =>
                        {
                            using var buffers = new BufferSet();
                            var y = buffers.Rent<T>(device, expected.Length);
                            Primitives.Reduce<T, TOp>(x.Upload<T>(device, buffers), axes, y,
                                T.CreateTruncating(scale), strategy);
                            var actual = y.ToArray().Select(double.CreateTruncating).ToArray();
                            log.Compare(context, actual, HostView.Round<T>(expected),
                                i => op.IsSum
                                    ? new Tolerance(4 * epsilon, 0.5 * magnitude[i] * epsilon * Math.Max(count, 2))
                                    : Tolerance.Exact);
                        });
                    }
                }
            }
        }
    }

    /// <summary>The reduction in float64 and, per output, Σ|x|·|scale| to size the rounding tolerance.</summary>
    private static (double[] Values, double[] Magnitude) Reference(HostView x, int[] axes, ReduceOp op, double scale)
    {
        var kept = Enumerable.Range(0, x.Rank).Where(d => !axes.Contains(d)).ToArray();
        int[] outShape = kept.Select(d => x.Shape[d]).ToArray();
        var outIndices = HostView.Indices(outShape).ToArray();
        var values = new double[outIndices.Length];
        var magnitude = new double[outIndices.Length];
        int[] innerShape = axes.Where(d => d < x.Rank).Select(d => x.Shape[d]).ToArray();
        for (int o = 0; o < outIndices.Length; o++)
        {
            double acc = op.Identity, abs = 0;
            foreach (var inner in HostView.Indices(innerShape))
            {
                var index = new int[x.Rank];
                for (int k = 0; k < kept.Length; k++)
                {
                    index[kept[k]] = outIndices[o][k];
                }
                for (int k = 0; k < inner.Length; k++)
                {
                    index[axes[k]] = inner[k];
                }
                double v = x.At(index);
                acc = op.Combine(acc, v);
                abs += Math.Abs(v);
            }
            values[o] = acc * scale;
            magnitude[o] = abs * Math.Abs(scale);
        }
        return (values, magnitude);
    }

    private static void CheckArgReduce<T>(Device device, Mismatches log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(5);
        // Few distinct values, so every row has ties; a NaN row and infinities at fixed places.
        var values = Enumerable.Range(0, 120).Select(_ => (double)random.Next(4)).ToArray();
        values[7] = double.NaN;
        values[9] = double.NaN;
        values[31] = double.PositiveInfinity;
        values[32] = double.NegativeInfinity;
        var allInfinite = new[] { double.NegativeInfinity, double.NegativeInfinity, double.PositiveInfinity };
        var cases = new (string Name, HostView X, int[] Axes)[]
        {
            ("contiguous", HostView.Contiguous(values, 4, 5, 6), [0, 1, 2, -1, -3]),
            ("permuted", HostView.Contiguous(values, 4, 5, 6).Permute(2, 0, 1), [0, 1, 2]),
            ("expanded", HostView.Contiguous(values, 1, 6).Expand(5, 6), [0, 1]),
            ("flipped", HostView.Contiguous(values, 10, 12).Flip(1), [1]),
            ("rank 0", HostView.Contiguous([3.0]), [0, -1]),
            ("rank 1", HostView.Contiguous(values, 17), [0]),
            ("size-1 axis", HostView.Contiguous(values, 4, 1, 3), [1]),
            ("zero outputs", HostView.Contiguous([], 0, 5), [1]),
            ("infinities", HostView.Contiguous(allInfinite, 3), [0]),
            ("long rows", HostView.Contiguous(Enumerable.Range(0, 2000).Select(i => (double)(i % 997)).ToArray(),
                2, 1000), [1, 0]),
        };
        foreach (var (name, x, axes) in cases)
        {
            foreach (int axis in axes)
            {
                foreach (bool max in new[] { true, false })
                {
                    string context = $"arg{(max ? "max" : "min")} {typeof(T).Name} {name} {x} axis {axis} on {device}";
                    log.Run(context, () =>
                    {
                        using var buffers = new BufferSet();
                        var expected = ArgReference(x, axis < 0 ? axis + Math.Max(x.Rank, 1) : axis, max);
                        var y = buffers.Rent<int>(device, expected.Length);
                        Primitives.ArgReduce(x.Upload<T>(device, buffers), axis, y, max);
                        log.Compare(context, y.ToArray().Select(i => (double)i).ToArray(), expected, Tolerance.Exact);
                    });
                }
            }
        }
    }

    /// <summary>The first index of the extreme value along the axis; the first NaN wins over everything.</summary>
    private static double[] ArgReference(HostView x, int axis, bool max)
    {
        if (x.Rank == 0)
        {
            return [0];
        }
        int[] outShape = x.Shape.Where((_, d) => d != axis).ToArray();
        return HostView.Indices(outShape).Select(o =>
        {
            int best = 0;
            double bestValue = double.NaN;
            for (int j = 0; j < x.Shape[axis]; j++)
            {
                var index = o.Take(axis).Append(j).Concat(o.Skip(axis)).ToArray();
                double v = x.At(index);
                if (double.IsNaN(v))
                {
                    return j;
                }
                if (j == 0 || (max ? v > bestValue : v < bestValue))
                {
                    best = j;
                    bestValue = v;
                }
            }
            return (double)best;
        }).ToArray();
    }
}
