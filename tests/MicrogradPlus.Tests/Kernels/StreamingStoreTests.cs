using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;
using Xunit;

namespace MicrogradPlus.Tests.Kernels;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// Element-wise loops whose output outgrows the caches store past them (streaming stores from the output's first
/// 32-byte boundary): every alignment of the output, in place or not, a broadcast operand or not, gives the bits the
/// cached loop gives, and the CPU device's large adds and exps through the tensor API are exact.
/// </summary>
public class StreamingStoreTests
{
    // Past HostPolicy.StreamingMinBytes of float output, with a ragged end.
    private const int Length = (int)(HostPolicy.StreamingMinBytes / sizeof(float)) + 37;

    [Fact]
    public void Streamed_outputs_equal_cached_ones_bit_for_bit_at_every_alignment_in_place_or_not()
    {
        Assert.True(HostPolicy.Streams<float>(Length));
        // The pinned heap never moves, so offsets 0…7 put the output's start at every 4-byte step of a 32-byte line.
        var a = GC.AllocateArray<float>(Length + 8, pinned: true);
        var b = GC.AllocateArray<float>(Length + 8, pinned: true);
        var random = new Random(3);
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = (float)(random.NextDouble() * 20 - 10);
            b[i] = (float)(random.NextDouble() * 4 - 2);
        }
        var cached = new float[Length];
        var streamed = GC.AllocateArray<float>(Length + 8, pinned: true);
        for (int offset = 0; offset < 8; offset++)
        {
            var x = a.AsSpan(offset, Length);
            var y = b.AsSpan(8 - offset, Length);
            var output = streamed.AsSpan(offset, Length);

            SpanDrivers.Zip<float, AddOp>(x, y, cached, default);
            SpanDrivers.Zip<float, AddOp>(x, y, output, default, stream: true);
            Assert.True(cached.AsSpan().SequenceEqual(output), $"add at offset {offset}");

            SpanDrivers.Zip<float, MulOp>(x, [2.5f], cached, default);
            SpanDrivers.Zip<float, MulOp>(x, [2.5f], output, default, stream: true);
            Assert.True(cached.AsSpan().SequenceEqual(output), $"broadcast multiply at offset {offset}");

            SpanDrivers.Map<float, ExpOp>(x, cached, default);
            SpanDrivers.Map<float, ExpOp>(x, output, default, stream: true);
            Assert.True(cached.AsSpan().SequenceEqual(output), $"exp at offset {offset}");

            // In place: the output is the first operand (the head's vector is read before anything is stored).
            x.CopyTo(output);
            SpanDrivers.Map<float, ExpOp>(output, output, default, stream: true);
            Assert.True(cached.AsSpan().SequenceEqual(output), $"exp in place at offset {offset}");
            SpanDrivers.Zip<float, AddOp>(x, y, cached, default);
            x.CopyTo(output);
            SpanDrivers.Zip<float, AddOp>(output, y, output, default, stream: true);
            Assert.True(cached.AsSpan().SequenceEqual(output), $"add in place at offset {offset}");
        }
    }

    [Fact]
    public void Large_adds_on_the_cpu_device_are_exact_and_large_exps_match_the_small_path()
    {
        var values = new float[Length];
        var random = new Random(5);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() * 8 - 4);
        }
        using var scope = Tensor.Scope();
        var x = Tensor.FromArray(values, [Length], Device.Cpu);
        var sum = (x + x.Slice(0, 0, Length) * 0.5f).ToArray();
        for (int i = 0; i < Length; i++)
        {
            // float(v + float(v * 0.5)) is exact in double before its one rounding.
            Assert.Equal((float)(values[i] + (double)(values[i] * 0.5f)), sum[i]);
        }
        var exp = x.Exp().ToArray();
        var pieces = new float[Length];
        for (int start = 0; start < Length; start += 4096)
        {
            int count = Math.Min(4096, Length - start);
            Tensor.FromArray(values[start..(start + count)], [count], Device.Cpu).Exp().ToArray().CopyTo(pieces, start);
        }
        Assert.Equal(pieces, exp);
    }
}
