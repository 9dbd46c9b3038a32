using System.Runtime.CompilerServices;
using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Kernels;

using Tensor = MicrogradPlus.Tensor;

/// <summary>Device discovery and selection, the buffer pool's accounting, and buffer lifetimes.</summary>
public class DeviceAndPoolTests
{
    [Fact]
    public void The_cpu_is_always_available_and_listed_first()
    {
        Assert.Same(Device.Cpu, Device.Available[0]);
        Assert.Equal(DeviceKind.Cpu, Device.Cpu.Kind);
        Assert.True(Device.IsAvailable(DeviceKind.Cpu));
        Assert.Equal("", Device.WhyUnavailable(DeviceKind.Cpu));
        Assert.Equal("cpu", Device.Cpu.ToString());
        Assert.StartsWith("cpu (", Device.Cpu.Describe(), StringComparison.Ordinal);
        Assert.Contains(Device.Default, Device.Available);
        Assert.NotEmpty(Device.DefaultReason);
        foreach (var device in Device.Available)
        {
            Assert.Same(device, device.Pool.Device);
            Assert.Contains(device.Name, device.Describe(), StringComparison.Ordinal);
            Assert.True(device.MaxGroupSize >= 1);
        }
    }

    /// <summary>
    /// Every launch and copy goes to a stream the device made, not the accelerator's default (on CUDA the legacy NULL
    /// stream, which no CUDA graph can capture): one stream per device, and work on it from several threads — kernels,
    /// uploads and reads interleaved — comes out in order.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Work_goes_to_a_stream_of_the_devices_own_in_order(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        Assert.NotSame(device.Accelerator.DefaultStream, device.Stream);
        Assert.Same(device.Stream, device.Stream);
        Parallel.For(0, 4, i =>
        {
            using var tensors = Tensor.Scope();
            var x = Tensor.FromArray(Enumerable.Range(0, 1000).Select(k => (float)(k + i)).ToArray(), [1000], device);
            for (int round = 0; round < 20; round++)
            {
                x.CopyFrom(Enumerable.Range(0, 1000).Select(k => (float)(k % 10 * round + i)).ToArray());
                Assert.Equal(2f * (4500 * round + 1000 * i), (x * 2f).Sum().Item()); // small integers: exact
            }
        });
    }

    [Fact]
    public void Parse_names_devices_and_lists_what_is_available_on_errors()
    {
        Assert.Same(Device.Cpu, Device.Parse("cpu"));
        Assert.Same(Device.Cpu, Device.Parse(" CPU "));
        Assert.Same(Device.Cpu, Device.Parse("cpu:0"));
        Assert.Same(Device.Best, Device.Parse("auto"));
        var unknown = Assert.Throws<ArgumentException>(() => Device.Parse("tpu"));
        Assert.Contains("tpu", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("available: cpu", unknown.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Device.Parse("cuda:x"));
        Assert.Throws<ArgumentException>(() => Device.Parse("cpu:-1"));
        var second = Assert.Throws<InvalidOperationException>(() => Device.Parse("cpu:1"));
        Assert.Contains("available: cpu", second.Message, StringComparison.Ordinal);
        if (Device.IsAvailable(DeviceKind.OpenCL))
        {
            Assert.Same(Device.OpenCL(), Device.Parse("opencl"));
            Assert.Equal(DeviceKind.OpenCL, Device.Parse("cl:0").Kind);
        }
        if (Device.IsAvailable(DeviceKind.Cuda))
        {
            Assert.Same(Device.Cuda(), Device.Parse("cuda:0"));
            Assert.Same(Device.Cuda(), Device.Parse("gpu"));
        }
    }

    [Theory]
    [InlineData(DeviceKind.Cuda)]
    [InlineData(DeviceKind.OpenCL)]
    public void Asking_for_an_absent_device_names_what_is_available(DeviceKind kind)
    {
        // Where the kind is present, an index past the last device is just as absent.
        int index = Device.IsAvailable(kind) ? Device.Available.Count(d => d.Kind == kind) : 0;
        string spec = $"{(kind == DeviceKind.Cuda ? "cuda" : "opencl")}:{index}";
        foreach (var ask in new Func<Device>[]
                 {
                     () => kind == DeviceKind.Cuda ? Device.Cuda(index) : Device.OpenCL(index),
                     () => Device.Parse(spec),
                 })
        {
            var e = Assert.Throws<InvalidOperationException>(ask);
            Assert.Contains($"no {kind} device with index {index}", e.Message, StringComparison.Ordinal);
            Assert.Contains("available: cpu [", e.Message, StringComparison.Ordinal);
            if (!Device.IsAvailable(kind))
            {
                Assert.Contains(Device.WhyUnavailable(kind), e.Message, StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Renting_and_returning_a_thousand_buffers_leaves_the_pool_flat(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var pool = scope.Device.Pool;
        Pools.DrainFinalized(pool);
        long live = pool.LiveBuffers, liveBytes = pool.LiveBytes;
        long allocations = pool.DeviceAllocations, reuses = pool.Reuses;
        var random = new Random(1);
        long[] lengths = [0, 1, 63, 64, 65, 1000, 4096, 70_000];
        var held = new List<(IDisposable Lease, long Length)>();
        int empty = 0;
        for (int i = 0; i < 1000; i++)
        {
            long length = lengths[random.Next(lengths.Length)];
            empty += length == 0 ? 1 : 0;
            held.Add(((i % 3) switch
            {
                0 => pool.Rent<float>(length),
                1 => pool.Rent<double>(length),
                _ => pool.Rent<int>(length),
            }, length));
            if (held.Count > 8)
            {
                int victim = random.Next(held.Count);
                held[victim].Lease.Dispose();
                held.RemoveAt(victim);
            }
        }
        // A zero-length lease holds no memory: it is no buffer of the pool's.
        Assert.Equal(live + held.Count(h => h.Length > 0), pool.LiveBuffers);
        held.ForEach(h => h.Lease.Dispose());
        Assert.Equal(live, pool.LiveBuffers);
        Assert.Equal(liveBytes, pool.LiveBytes);
        // 9 buckets (256 B … 512 KiB) with at most 9 buffers out at once: every other non-empty rental is reuse.
        Assert.InRange(pool.DeviceAllocations - allocations, 0L, 9L * 9);
        Assert.True(pool.Reuses - reuses >= 1000 - empty - 81,
            $"only {pool.Reuses - reuses} reuses: {pool}");
        Assert.True(pool.CachedBytes <= pool.MaxCachedBytes);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent<float>(-1));

        // Empty tensors rent nothing: one shared zero-length lease, which disposing does not return.
        Assert.Same(pool.Rent<float>(0), pool.Rent<float>(0, guarded: false));
        var stats = scope.Device.MemoryStats();
        var nothing = MicrogradPlus.Tensor.Zeros([0, 3], scope.Device);
        using (var view = nothing.Transpose(0, 1))
        {
            Assert.Equal(stats, scope.Device.MemoryStats());
            Assert.Equal([3, 0], view.Shape);
        }
        nothing.Dispose();
        nothing.Dispose();
        Assert.Equal(stats, scope.Device.MemoryStats());
        Assert.False(pool.Rent<int>(0).IsDisposed);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void The_cache_stays_under_its_bound_and_trims(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var pool = scope.Device.Pool;
        long bound = pool.MaxCachedBytes;
        try
        {
            Pools.DrainFinalized(pool);
            pool.Trim();
            pool.MaxCachedBytes = 4096;
            var buffers = Enumerable.Range(0, 20).Select(_ => pool.Rent<float>(256)).ToList();
            buffers.ForEach(b => b.Dispose());
            Assert.Equal(4, pool.CachedBuffers);
            Assert.Equal(4096, pool.CachedBytes);
            pool.Trim();
            Assert.Equal(0, pool.CachedBuffers);
            Assert.Equal(0, pool.CachedBytes);
        }
        finally
        {
            pool.MaxCachedBytes = bound;
        }
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void An_abandoned_buffer_is_reclaimed_at_the_next_rent(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var pool = scope.Device.Pool;
        Pools.DrainFinalized(pool);
        long live = pool.LiveBuffers;
        Abandon(pool);
        Assert.Equal(live + 1, pool.LiveBuffers);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        // The finalizer only queued the memory: the device is touched on the renting thread, not the GC's.
        Assert.Equal(live + 1, pool.LiveBuffers);
        long reuses = pool.Reuses;
        using (pool.Rent<float>(1000))
        {
            Assert.Equal(live + 1, pool.LiveBuffers);
            Assert.Equal(reuses + 1, pool.Reuses);
        }
        Assert.Equal(live, pool.LiveBuffers);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Buffers_copy_both_ways_and_refuse_use_after_dispose(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        var buffer = device.Pool.Rent<double>(5);
        Assert.Same(device, buffer.Device);
        buffer.CopyFrom([1, 2, 3, 4, 5]);
        Assert.Equal([1d, 2, 3, 4, 5], buffer.ToArray());
        var into = new double[5];
        buffer.CopyTo(into);
        Assert.Equal([1d, 2, 3, 4, 5], into);
        Assert.Throws<ArgumentException>(() => buffer.CopyFrom([1, 2]));
        Assert.Throws<ArgumentException>(() => buffer.CopyTo(new double[6]));

        var view = StridedView.Contiguous(buffer, 5);
        buffer.Dispose();
        Assert.True(buffer.IsDisposed);
        buffer.Dispose();
        var e = Assert.Throws<ObjectDisposedException>(() => buffer.ToArray());
        Assert.Contains("after Dispose", e.Message, StringComparison.Ordinal);
        Assert.Throws<ObjectDisposedException>(() => buffer.CopyFrom([1, 2, 3, 4, 5]));
        Assert.Throws<ObjectDisposedException>(() => Primitives.Fill(buffer, 1d));
        using var output = device.Pool.Rent<double>(5);
        Assert.Throws<ObjectDisposedException>(() => Primitives.Map<double, ExpOp>(view, output));

        using var empty = device.Pool.Rent<float>(0);
        empty.CopyFrom([]);
        Assert.Empty(empty.ToArray());
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Sub_leases_hold_their_memory_until_the_last_is_returned_and_a_pin_after_that(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var pool = scope.Device.Pool;
        Pools.DrainFinalized(pool);
        long live = pool.LiveBuffers;
        var whole = pool.Rent<float>(12, guarded: false);
        whole.CopyFrom([0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        var first = whole.Share(0, 3);
        var second = whole.Share(4, 8);
        Assert.Throws<ArgumentOutOfRangeException>(() => whole.Share(2, 3)); // off the four-element grid
        Assert.Throws<ArgumentOutOfRangeException>(() => whole.Share(4, 9)); // past the end
        whole.Dispose();
        Assert.Equal([0f, 1, 2], first.ToArray());
        Assert.Equal([4f, 5, 6, 7, 8, 9, 10, 11], second.ToArray());
        second.CopyFrom(0, [40f]);
        Assert.Equal([0f, 1, 2], first.ToArray()); // sub-leases do not overlap
        Assert.Equal(live + 1, pool.LiveBuffers);

        var raw = first.Raw!;
        pool.Pin(raw);
        first.Dispose();
        first.Dispose(); // counted once
        Assert.Equal(live + 1, pool.LiveBuffers);
        Assert.Equal(40f, second.ToArray()[0]);
        second.Dispose();
        Assert.Equal(live + 1, pool.LiveBuffers); // every lease returned, still pinned
        pool.Unpin(raw);
        Assert.Equal(live, pool.LiveBuffers);
    }

    /// <summary>Rents without disposing; the buffer is unreachable once this returns.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Abandon(BufferPool pool) => pool.Rent<float>(1000);
}
