using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Kernels;

/// <summary>
/// The CPU device's vectorised host loops, against scalar float arithmetic and float64 references: broadcast rows
/// (a row or a column of one value on either side of each operator), strided views with contiguous rows, reductions
/// over a leading axis (contiguous outputs), over contiguous runs, and one long run cut into a piece per core.
/// </summary>
public class HostLoopFastPathTests
{
    private static readonly Device Cpu = Device.Cpu;

    [Fact]
    public void Broadcast_rows_give_the_scalar_results_bit_for_bit()
    {
        var random = new Random(11);
        var values = Enumerable.Range(0, 400).Select(_ => random.NextDouble() * 4 - 2).ToArray();
        var shapes = new (string Name, HostView A, HostView B)[]
        {
            ("x ∘ row", HostView.Filled(values, 3, 20), HostView.Filled(values.Reverse().ToArray(), 1, 20)),
            ("row ∘ x", HostView.Filled(values, 1, 20), HostView.Filled(values.Reverse().ToArray(), 3, 20)),
            ("x ∘ column", HostView.Filled(values, 3, 20), HostView.Filled(values.Reverse().ToArray(), 3, 1)),
            ("column ∘ x", HostView.Filled(values, 3, 1), HostView.Filled(values.Reverse().ToArray(), 3, 20)),
            ("column ∘ row", HostView.Filled(values, 3, 1), HostView.Filled(values.Reverse().ToArray(), 1, 20)),
            ("expanded column ∘ expanded column", HostView.Filled(values, 3, 1).Expand(3, 20),
                HostView.Filled(values.Reverse().ToArray(), 3, 1).Expand(3, 20)),
            ("sliced ∘ transposed", HostView.Filled(values, 4, 25).Slice(1, 2, 22),
                HostView.Filled(values.Reverse().ToArray(), 20, 4).TransposeLast()),
        };
        foreach (var (name, a, b) in shapes)
        {
            Check<AddOp>(name, a, b, (x, y) => x + y);
            Check<SubOp>(name, a, b, (x, y) => x - y);
            Check<MulOp>(name, a, b, (x, y) => x * y);
            Check<DivOp>(name, a, b, (x, y) => x / y);
        }

        static void Check<TOp>(string name, HostView a, HostView b, Func<float, float, float> scalar)
            where TOp : struct, IBinaryOp<float>
        {
            using var buffers = new BufferSet();
            int[] shape = HostView.BroadcastShape(a.Shape, b.Shape);
            int size = shape.Aggregate(1, (p, q) => p * q);
            var c = buffers.Rent<float>(Cpu, size);
            Primitives.Zip<float, TOp>(a.Upload<float>(Cpu, buffers), b.Upload<float>(Cpu, buffers), c);
            var expected = HostView.Indices(shape).Select(i => scalar((float)a.At(i), (float)b.At(i))).ToArray();
            Assert.True(expected.SequenceEqual(c.ToArray()), $"{typeof(TOp).Name} {name}");
        }
    }

    [Fact]
    public void Strided_views_with_contiguous_rows_map_like_contiguous_ones()
    {
        var random = new Random(12);
        var values = Enumerable.Range(0, 200).Select(_ => random.NextDouble() * 4 - 2).ToArray();
        var x = HostView.Filled(values, 5, 30).Slice(1, 4, 24);
        using var buffers = new BufferSet();
        var y = buffers.Rent<float>(Cpu, 100);
        Primitives.Map<float, ExpOp>(x.Upload<float>(Cpu, buffers), y);
        var rows = buffers.Rent<float>(Cpu, 100);
        Primitives.Map<float, ExpOp>(HostView.Contiguous(x.Logical(), 5, 20).Upload<float>(Cpu, buffers), rows);
        Assert.Equal(rows.ToArray(), y.ToArray());
        var exact = x.Logical().Select(v => Math.Exp((float)v)).ToArray();
        var actual = y.ToArray();
        for (int i = 0; i < exact.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - exact[i]) <= 4e-7 * exact[i], $"exp element {i}: {actual[i]}, {exact[i]}");
        }
    }

    [Fact]
    public void Reductions_over_leading_axes_contiguous_runs_and_long_runs_match_the_reference()
    {
        var random = new Random(13);
        var values = Enumerable.Range(0, 1 << 17).Select(_ => random.NextDouble() * 2 - 1).ToArray();
        var cases = new (string Name, HostView X, int[] Axes, double Scale)[]
        {
            ("leading axis", HostView.Filled(values, 37, 40), [0], 1),
            ("leading axes, mean", HostView.Filled(values, 3, 5, 24), [0, 1], 1d / 15),
            ("leading axis of a slice", HostView.Filled(values, 30, 50).Slice(1, 5, 45), [0], 1),
            ("contiguous rows", HostView.Filled(values, 6, 45), [1], 1),
            ("rows of a slice, mean", HostView.Filled(values, 6, 60).Slice(1, 3, 53), [1], 1d / 50),
            ("one long run", HostView.Filled(values, 1 << 17), [0], 1),
            ("two long runs", HostView.Filled(values, 2, 1 << 16), [1], 1d / (1 << 16)),
            // Vectorised work weighs a quarter, so a run is cut into pieces from 256K elements.
            ("one run cut into pieces", HostView.Filled(values, 1 << 18), [0], 1),
        };
        foreach (var (name, x, axes, scale) in cases)
        {
            var reference = Reference(x, axes);
            using var buffers = new BufferSet();
            var view = x.Upload<float>(Cpu, buffers);
            var sum = buffers.Rent<float>(Cpu, reference.Length);
            var max = buffers.Rent<float>(Cpu, reference.Length);
            var min = buffers.Rent<float>(Cpu, reference.Length);
            Primitives.Reduce<float, SumReduce>(view, axes, sum, (float)scale);
            Primitives.Reduce<float, MaxReduce>(view, axes, max, 1f);
            Primitives.Reduce<float, MinReduce>(view, axes, min, 1f);
            for (int o = 0; o < reference.Length; o++)
            {
                var (s, magnitude, hi, lo) = reference[o];
                double bound = (x.Size / reference.Length + 1) * 6e-8 * magnitude * scale;
                Assert.True(Math.Abs(sum.ToArray()[o] - s * scale) <= bound, $"{name}: sum {o} {sum.ToArray()[o]}, {s * scale}");
                Assert.Equal((float)hi, max.ToArray()[o]);
                Assert.Equal((float)lo, min.ToArray()[o]);
            }
        }
        // A leading-axis sum of up to eight rows adds them in order (more split pairwise): bit for bit the
        // left-to-right float loop.
        var m = HostView.Filled(values, 8, 16);
        using var set = new BufferSet();
        var columns = set.Rent<float>(Cpu, 16);
        Primitives.Reduce<float, SumReduce>(m.Upload<float>(Cpu, set), [0], columns, 1f);
        var inOrder = Enumerable.Range(0, 16).Select(j =>
            Enumerable.Range(0, 8).Aggregate(0f, (acc, i) => acc + (float)m.At([i, j]))).ToArray();
        Assert.Equal(inOrder, columns.ToArray());
    }

    [Fact]
    public void Empty_host_loops_count_no_launch()
    {
        using var buffers = new BufferSet();
        var none = StridedView.Contiguous(buffers.Rent<float>(Cpu, 0), 0);
        var rows = StridedView.Contiguous(buffers.Rent<float>(Cpu, 0), 0, 4);
        long before = Cpu.Launches;
        Primitives.Map<float, ExpOp>(none, buffers.Rent<float>(Cpu, 0));
        Primitives.Zip<float, AddOp>(none, none, buffers.Rent<float>(Cpu, 0));
        Primitives.Reduce<float, SumReduce>(rows, [1], buffers.Rent<float>(Cpu, 0), 1f);
        Assert.Equal(0, Cpu.Launches - before);
    }

    [Fact]
    public void Vectorised_max_and_min_propagate_nan()
    {
        var data = Enumerable.Range(0, 10 * 16).Select(i => (double)(i % 7)).ToArray();
        data[3 * 16 + 5] = double.NaN;
        var x = HostView.Contiguous(data, 10, 16);
        using var buffers = new BufferSet();
        var view = x.Upload<float>(Cpu, buffers);
        foreach (int axis in new[] { 0, 1 })
        {
            var max = buffers.Rent<float>(Cpu, axis == 0 ? 16 : 10);
            var min = buffers.Rent<float>(Cpu, axis == 0 ? 16 : 10);
            Primitives.Reduce<float, MaxReduce>(view, [axis], max, 1f);
            Primitives.Reduce<float, MinReduce>(view, [axis], min, 1f);
            int nanAt = axis == 0 ? 5 : 3;
            for (int o = 0; o < max.Length; o++)
            {
                Assert.Equal(o == nanAt, float.IsNaN(max.ToArray()[o]));
                Assert.Equal(o == nanAt, float.IsNaN(min.ToArray()[o]));
            }
        }
        var all = buffers.Rent<float>(Cpu, 1);
        Primitives.Reduce<float, MaxReduce>(HostView.Filled(data, 70000).Upload<float>(Cpu, buffers), null, all, 1f);
        Assert.True(float.IsNaN(all.ToArray()[0]));
    }

    /// <summary>Per output: Σ, Σ|x|, max and min over the reduced axes, in float64 from the float32-rounded values.</summary>
    private static (double Sum, double Magnitude, double Max, double Min)[] Reference(HostView x, int[] axes)
    {
        int[] kept = Enumerable.Range(0, x.Rank).Where(d => !axes.Contains(d)).ToArray();
        var outputs = new Dictionary<string, (double, double, double, double)>();
        var order = new List<string>();
        foreach (var index in HostView.Indices(x.Shape))
        {
            string key = string.Join(",", kept.Select(d => index[d]));
            double v = (float)x.At(index);
            if (!outputs.TryGetValue(key, out var acc))
            {
                order.Add(key);
                acc = (0, 0, double.NegativeInfinity, double.PositiveInfinity);
            }
            outputs[key] = (acc.Item1 + v, acc.Item2 + Math.Abs(v), Math.Max(acc.Item3, v), Math.Min(acc.Item4, v));
        }
        return order.Select(k => outputs[k]).ToArray();
    }
}
