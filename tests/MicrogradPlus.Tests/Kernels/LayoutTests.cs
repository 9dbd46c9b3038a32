using System.Numerics;
using MicrogradPlus.Backends;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Kernels;

/// <summary>
/// The data-movement primitives: Copy (strided to strided and to contiguous), Fill, Arange, Gather, Concat, Widen and
/// Narrow, with the same view corners as the arithmetic kernels and the argument errors each one owes its caller.
/// </summary>
public class LayoutTests
{
    private const double Sentinel = -7;

    /// <summary>Source and destination views of one shape; the destination buffer starts full of a sentinel.</summary>
    private static readonly (string Name, Func<double[], HostView> Source, Func<double[], HostView> Destination)[]
        CopyCases =
        [
            ("transposed → contiguous", v => HostView.Filled(v, 4, 3).TransposeLast(),
                d => HostView.Contiguous(d, 3, 4)),
            ("expanded → contiguous", v => HostView.Filled(v, 1, 4).Expand(3, 4), d => HostView.Contiguous(d, 3, 4)),
            ("flipped → contiguous", v => HostView.Filled(v, 2, 5).Flip(1), d => HostView.Contiguous(d, 2, 5)),
            ("rank 0", v => HostView.Filled(v), d => HostView.Contiguous(d)),
            ("zero-size", v => HostView.Filled(v, 0, 3), d => HostView.Contiguous(d, 0, 3)),
            ("size-1 dims", v => HostView.Filled(v, 1, 6, 1), d => HostView.Contiguous(d, 1, 6, 1)),
            ("contiguous → transposed", v => HostView.Filled(v, 3, 4),
                d => HostView.Contiguous(d, 4, 3).TransposeLast()),
            ("row slice → row slice", v => HostView.Filled(v, 4, 5).Slice(0, 1, 3),
                d => HostView.Contiguous(d, 5, 5).Slice(0, 2, 4)),
            ("column slice → column slice", v => HostView.Filled(v, 4, 6).Slice(1, 1, 4),
                d => HostView.Contiguous(d, 4, 5).Slice(1, 2, 5)),
            ("permuted → flipped", v => HostView.Filled(v, 2, 3, 4).Permute(2, 0, 1),
                d => HostView.Contiguous(d, 4, 2, 3).Flip(0)),
        ];

    /// <summary>
    /// A coalesced layout maps every linear index to the same offset as the full one — contiguous blocks, size-1,
    /// broadcast, negative-stride, permuted and sliced dimensions — and a contiguous block of any rank becomes rank 1.
    /// </summary>
    [Fact]
    public void Coalesced_layouts_address_the_same_elements()
    {
        var cases = new (int[] Shape, int[] Strides, int Offset, int ExpectedRank)[]
        {
            ([2, 3, 4], [12, 4, 1], 0, 1),
            ([1, 6, 1], [6, 1, 1], 3, 1),
            ([2, 1, 3, 4], [12, 99, 4, 1], 5, 1),
            ([3, 4], [1, 3], 0, 2),
            ([3, 4], [0, 1], 0, 2),
            ([2, 3, 4], [0, 4, 1], 0, 2),
            ([4, 5], [5, -1], 4, 2),
            ([2, 3, 4], [24, 4, 1], 0, 2),
            ([2, 2, 3], [12, 6, 2], 1, 1),
            ([0, 3], [3, 1], 0, 2),
            ([], [], 7, 0),
            ([5], [2], 1, 1),
            ([2, 3, 2, 2], [12, 4, 2, 1], 0, 1),
        };
        foreach (var (shape, strides, offset, rank) in cases)
        {
            var full = MicrogradPlus.Kernels.Layout.Create(shape, strides, offset);
            var coalesced = MicrogradPlus.Kernels.Layout.Coalesced(shape, strides, offset);
            int size = shape.Aggregate(1, (a, b) => a * b);
            for (int i = 0; i < size; i++)
            {
                Assert.True(full.OffsetOf(i) == coalesced.OffsetOf(i),
                    $"{Shapes.Format(shape)} strides {Shapes.Format(strides)}: index {i} → {coalesced.OffsetOf(i)}, " +
                    $"expected {full.OffsetOf(i)}");
            }
            Assert.Equal(rank, coalesced.Rank);
        }
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Copy_moves_every_element_between_views(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var log = new Mismatches();
        CheckCopy<float>(scope.Device, log);
        CheckCopy<double>(scope.Device, log);
        CheckCopy<int>(scope.Device, log);
        log.AssertNone();
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Fill_sets_every_element(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        using var buffers = new BufferSet();
        // 20,000 is past the CPU device's host-loop threshold, so the kernel runs there too.
        foreach (int length in new[] { 0, 1, 37, 20_000 })
        {
            var f = buffers.Rent<float>(device, length);
            var d = buffers.Rent<double>(device, length);
            var i = buffers.Rent<int>(device, length);
            Primitives.Fill(f, 2.5f);
            Primitives.Fill(d, -1e100);
            Primitives.Fill(i, -7);
            Assert.All(f.ToArray(), v => Assert.Equal(2.5f, v));
            Assert.All(d.ToArray(), v => Assert.Equal(-1e100, v));
            Assert.All(i.ToArray(), v => Assert.Equal(-7, v));
            Assert.Equal(length, f.ToArray().Length);
        }
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Arange_counts_from_start_by_step(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        var log = new Mismatches();
        using var buffers = new BufferSet();
        foreach (var (start, step, length) in new[] { (-2.5f, 0.25f, 1000), (0f, 1f, 20_000), (0.1f, 0.3f, 100),
                     (5f, -0.5f, 1), (0f, 1f, 0) })
        {
            var y = buffers.Rent<float>(device, length);
            Primitives.Arange(y, start, step);
            var expected = Enumerable.Range(0, length).Select(i => (double)start + i * (double)step).ToArray();
            log.Compare($"arange({start}, step {step}, n {length}) on {device}",
                y.ToArray().Select(v => (double)v).ToArray(), expected, new Tolerance(1e-6, 1e-7));
        }
        log.AssertNone();
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Gather_follows_torch_gather(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var log = new Mismatches();
        CheckGather<float>(scope.Device, log);
        CheckGather<double>(scope.Device, log);
        log.AssertNone();
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Concat_joins_along_every_axis(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        var log = new Mismatches();
        var values = Enumerable.Range(0, 400).Select(i => i * 0.5 - 50).ToArray();
        var cases = new (string Name, HostView[] Inputs, int Axis)[]
        {
            ("axis 0", [HostView.Filled(values, 2, 3), HostView.Filled(values[7..], 1, 3),
                HostView.Filled(values, 0, 3), HostView.Filled(values[20..], 4, 3)], 0),
            ("axis 1", [HostView.Filled(values, 2, 3), HostView.Filled(values[9..], 2, 1),
                HostView.Filled(values, 2, 0)], 1),
            ("axis -1, rank 3", [HostView.Filled(values, 2, 3, 4), HostView.Filled(values[50..], 2, 3, 1)], -1),
            ("middle axis, strided inputs", [HostView.Filled(values, 4, 2, 3).Permute(1, 0, 2),
                HostView.Filled(values[30..], 1, 1, 3).Expand(2, 5, 3), HostView.Filled(values, 2, 6, 3).Flip(1)], 1),
            ("offset slices", [HostView.Filled(values, 5, 4).Slice(0, 1, 3),
                HostView.Filled(values, 5, 4).Slice(1, 1, 4).Slice(0, 0, 2)], 1),
            ("single input", [HostView.Filled(values, 3, 2)], 0),
            ("rank 1", [HostView.Filled(values, 3), HostView.Filled(values[100..], 4)], 0),
            ("all empty", [HostView.Filled(values, 0, 2), HostView.Filled(values, 0, 2)], 0),
        };
        foreach (var (name, inputs, axis) in cases)
        {
            string context = $"concat {name} ({string.Join(", ", inputs.Select(i => i.ToString()))}) " +
                             $"along {axis} on {device}";
            log.Run(context, () =>
            {
                using var buffers = new BufferSet();
                var expected = ConcatReference(inputs, axis < 0 ? axis + inputs[0].Rank : axis);
                var y = buffers.Rent<float>(device, expected.Length);
                Primitives.Concat(inputs.Select(i => i.Upload<float>(device, buffers)).ToArray(), axis, y);
                log.Compare(context, y.ToArray().Select(v => (double)v).ToArray(), expected, Tolerance.Exact);
            });
        }
        log.AssertNone();
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Widen_is_exact_and_narrow_rounds_to_nearest(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        using var buffers = new BufferSet();
        float[] floats = [0f, -0f, 1f / 3, float.MaxValue, float.Epsilon * 1e30f, float.NaN, float.NegativeInfinity];
        var f = buffers.Upload(device, floats);
        var wide = buffers.Rent<double>(device, floats.Length);
        Primitives.Widen(f, wide);
        Assert.Equal(floats.Select(v => (double)v), wide.ToArray());

        double[] doubles = [0.1, 1 + Math.Pow(2, -30), 1 + Math.Pow(2, -24), 1 + 3 * Math.Pow(2, -24), 1e300, -1e300,
            1e-50, -2.5, double.NaN, double.PositiveInfinity, 16777217];
        var d = buffers.Upload(device, doubles);
        var narrow = buffers.Rent<float>(device, doubles.Length);
        Primitives.Narrow(d, narrow);
        Assert.Equal(doubles.Select(v => (float)v), narrow.ToArray());

        Assert.Throws<ArgumentException>(() => Primitives.Widen(f, buffers.Rent<double>(device, 3)));
        Assert.Throws<ArgumentException>(() => Primitives.Narrow(d, buffers.Rent<float>(device, 3)));
    }

    [Fact]
    public void Copy_rejects_different_shapes_naming_both()
    {
        var cpu = Device.Cpu;
        using var buffers = new BufferSet();
        var a = StridedView.Contiguous(buffers.Rent<float>(cpu, 12), 3, 4);
        var b = StridedView.Contiguous(buffers.Rent<float>(cpu, 12), 4, 3);
        var e = Assert.Throws<ArgumentException>(() => Primitives.Copy(a, b));
        Assert.Contains("(3, 4)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(4, 3)", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => Primitives.Copy(a, buffers.Rent<float>(cpu, 13)));
        Assert.Contains("(3, 4)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Gather_rejects_bad_indices_and_shapes()
    {
        var cpu = Device.Cpu;
        using var buffers = new BufferSet();
        var x = StridedView.Contiguous(buffers.Rent<float>(cpu, 60), 3, 4, 5);
        var y = buffers.Rent<float>(cpu, 30);
        int[] Indices(int value, int at)
        {
            var result = new int[30];
            result[at] = value;
            return result;
        }
        var range = Assert.Throws<ArgumentOutOfRangeException>(
            () => Primitives.Gather(x, 1, Indices(4, 17), [3, 2, 5], y));
        Assert.Contains("index 4", range.Message, StringComparison.Ordinal);
        Assert.Contains("(3, 4, 5)", range.Message, StringComparison.Ordinal);
        range = Assert.Throws<ArgumentOutOfRangeException>(() => Primitives.Gather(x, 1, Indices(-1, 0), [3, 2, 5], y));
        Assert.Contains("index -1", range.Message, StringComparison.Ordinal);

        var rank = Assert.Throws<ArgumentException>(() => Primitives.Gather(x, 1, new int[30], [6, 5], y));
        Assert.Contains("(6, 5)", rank.Message, StringComparison.Ordinal);
        Assert.Contains("(3, 4, 5)", rank.Message, StringComparison.Ordinal);

        var larger = Assert.Throws<ArgumentException>(() => Primitives.Gather(x, 1, new int[30], [3, 1, 10], y));
        Assert.Contains("(3, 1, 10)", larger.Message, StringComparison.Ordinal);
        Assert.Contains("(3, 4, 5)", larger.Message, StringComparison.Ordinal);

        Assert.Throws<ArgumentException>(() => Primitives.Gather(x, 1, new int[29], [3, 2, 5], y));
        Assert.Throws<ArgumentOutOfRangeException>(() => Primitives.Gather(x, 3, new int[30], [3, 2, 5], y));
        Assert.Throws<ArgumentException>(
            () => Primitives.Gather(x, 1, new int[30], [3, 2, 5], buffers.Rent<float>(cpu, 29)));
    }

    [Fact]
    public void Concat_rejects_inputs_whose_other_dimensions_differ()
    {
        var cpu = Device.Cpu;
        using var buffers = new BufferSet();
        StridedView<float> View(params int[] shape) =>
            StridedView.Contiguous(buffers.Rent<float>(cpu, shape.Aggregate(1, (a, b) => a * b)), shape);
        var y = buffers.Rent<float>(cpu, 100);

        var e = Assert.Throws<ArgumentException>(() => Primitives.Concat([View(2, 3), View(2, 4)], 0, y));
        Assert.Contains("(2, 3)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(2, 4)", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<ArgumentException>(() => Primitives.Concat([View(2, 3), View(2, 3, 1)], 1, y));
        Assert.Contains("(2, 3)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(2, 3, 1)", e.Message, StringComparison.Ordinal);

        Assert.Throws<ArgumentException>(() => Primitives.Concat(Array.Empty<StridedView<float>>(), 0, y));
        Assert.Throws<ArgumentOutOfRangeException>(() => Primitives.Concat([View(2, 3), View(2, 3)], 2, y));
        Assert.Throws<ArgumentException>(() => Primitives.Concat([View(), View()], 0, y));
        e = Assert.Throws<ArgumentException>(() => Primitives.Concat([View(2, 3), View(2, 3)], 1, y));
        Assert.Contains("(2, 6)", e.Message, StringComparison.Ordinal);
    }

    private static void CheckCopy<T>(Device device, Mismatches log) where T : unmanaged, INumberBase<T>
    {
        var values = Enumerable.Range(0, 200).Select(i => (double)(i * 37 % 101 - 50)).ToArray();
        foreach (var (name, makeSource, makeDestination) in CopyCases)
        {
            var source = makeSource(values);
            var destination = makeDestination(Enumerable.Repeat(Sentinel, 30).ToArray());
            string context = $"copy {typeof(T).Name} {name}: {source} into {destination} on {device}";
            log.Run(context, () =>
            {
                using var buffers = new BufferSet();
                var expected = (double[])destination.Data.Clone();
                var logical = source.Logical();
                for (int i = 0; i < logical.Length; i++)
                {
                    expected[destination.OffsetOf(i)] = logical[i];
                }
                var sourceView = source.Upload<T>(device, buffers);
                var destinationView = destination.Upload<T>(device, buffers);
                Primitives.Copy(sourceView, destinationView);
                log.Compare(context, destinationView.Buffer.ToArray().Select(double.CreateTruncating).ToArray(),
                    expected, Tolerance.Exact);

                var contiguous = buffers.Rent<T>(device, source.Size);
                Primitives.Copy(sourceView, contiguous);
                log.Compare($"{context} (to a buffer)", contiguous.ToArray().Select(double.CreateTruncating).ToArray(),
                    logical, Tolerance.Exact);
            });
        }
    }

    private static void CheckGather<T>(Device device, Mismatches log) where T : unmanaged, INumberBase<T>
    {
        var values = Enumerable.Range(0, 200).Select(i => i * 0.25 - 20).ToArray();
        var random = new Random(9);
        var cases = new (string Name, HostView X, int Axis, int[] IndexShape)[]
        {
            ("axis 1", HostView.Filled(values, 3, 4, 5), 1, [3, 2, 5]),
            ("axis 0", HostView.Filled(values, 3, 4, 5), 0, [2, 4, 5]),
            ("axis -1, longer index", HostView.Filled(values, 3, 4, 5), -1, [3, 4, 7]),
            ("smaller index", HostView.Filled(values, 3, 4, 5), 1, [2, 3, 2]),
            ("permuted input", HostView.Filled(values, 5, 4, 3).Permute(2, 1, 0), 2, [3, 4, 2]),
            ("expanded input", HostView.Filled(values, 1, 5).Expand(3, 5), 0, [6, 5]),
            ("offset input", HostView.Filled(values, 6, 4).Slice(0, 2, 5), 1, [3, 6]),
            ("rank 0", HostView.Filled(values), 0, []),
            ("rank 1", HostView.Filled(values, 7), 0, [10]),
            ("empty index", HostView.Filled(values, 3, 4), 1, [3, 0]),
        };
        foreach (var (name, x, axis, indexShape) in cases)
        {
            int a = axis < 0 ? axis + x.Rank : axis;
            int limit = x.Rank == 0 ? 1 : x.Shape[a];
            var outIndices = HostView.Indices(indexShape).ToArray();
            var index = outIndices.Select(_ => random.Next(limit)).ToArray();
            string context = $"gather {typeof(T).Name} {name}: {x} along {axis} " +
                             $"with index {Shapes.Format(indexShape)} on {device}";
            log.Run(context, () =>
            {
                using var buffers = new BufferSet();
                var expected = outIndices.Select((o, i) =>
                {
                    var at = (int[])o.Clone();
                    if (x.Rank > 0)
                    {
                        at[a] = index[i];
                    }
                    return x.At(at);
                }).ToArray();
                var y = buffers.Rent<T>(device, expected.Length);
                Primitives.Gather(x.Upload<T>(device, buffers), axis, index, indexShape, y);
                log.Compare(context, y.ToArray().Select(double.CreateTruncating).ToArray(), expected, Tolerance.Exact,
                    i => $"index {index[i]}");
            });
        }
    }

    private static double[] ConcatReference(HostView[] inputs, int axis)
    {
        var shape = (int[])inputs[0].Shape.Clone();
        shape[axis] = inputs.Sum(i => i.Shape[axis]);
        return HostView.Indices(shape).Select(index =>
        {
            int position = index[axis];
            foreach (var input in inputs)
            {
                if (position < input.Shape[axis])
                {
                    var at = (int[])index.Clone();
                    at[axis] = position;
                    return input.At(at);
                }
                position -= input.Shape[axis];
            }
            throw new InvalidOperationException("unreachable");
        }).ToArray();
    }
}
