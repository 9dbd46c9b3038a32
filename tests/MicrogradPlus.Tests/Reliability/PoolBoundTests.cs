using MicrogradPlus.Nn;
using MicrogradPlus.Optim;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Reliability;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// The pool's bounds: the memory counters (<see cref="Device.MemoryStats()"/>), <see cref="Device.EmptyCache"/>, the
/// cache bound, and a training loop written without any scope or dispose staying within 4× the scoped loop's peak
/// live bytes plus the cache bound.
/// </summary>
public class PoolBoundTests
{
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Memory_stats_count_live_cached_and_peak_memory(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        Pools.DrainFinalized(device.Pool);
        device.EmptyCache();
        var start = device.MemoryStats();
        Assert.Equal(0, start.CachedBytes);
        Assert.Equal(0, start.CachedBuffers);
        device.ResetPeakMemoryStats();

        var a = Tensor.Zeros([1000], device); // 4,000 bytes: a 4,096-byte bucket
        var b = Tensor.Zeros([10], device); // 256 bytes, the smallest bucket
        var live = device.MemoryStats();
        Assert.Equal(start.LiveBytes + 4096 + 256, live.LiveBytes);
        Assert.Equal(start.LiveBuffers + 2, live.LiveBuffers);
        Assert.Equal(live.LiveBytes, live.PeakLiveBytes);
        a.Dispose();
        b.Dispose();
        var after = device.MemoryStats();
        Assert.Equal(start.LiveBytes, after.LiveBytes);
        Assert.Equal(4096 + 256, after.CachedBytes);
        Assert.Equal(2, after.CachedBuffers);
        Assert.Equal(live.PeakLiveBytes, after.PeakLiveBytes); // the peak stays until reset

        device.EmptyCache();
        var emptied = device.MemoryStats();
        Assert.Equal(0, emptied.CachedBytes);
        Assert.Equal(after.DeviceFrees + 2, emptied.DeviceFrees);
        device.ResetPeakMemoryStats();
        Assert.Equal(emptied.LiveBytes, device.MemoryStats().PeakLiveBytes);
    }

    [Fact]
    public void Lowering_the_cache_bound_frees_cached_memory_down_to_it()
    {
        var pool = Device.Cpu.Pool;
        long bound = pool.MaxCachedBytes;
        try
        {
            pool.Trim();
            var tensors = Enumerable.Range(0, 8).Select(_ => Tensor.Zeros([1024], Device.Cpu)).ToList();
            tensors.ForEach(t => t.Dispose());
            Assert.Equal(8 * 4096, pool.CachedBytes);
            pool.MaxCachedBytes = 3 * 4096;
            Assert.Equal(3 * 4096, pool.CachedBytes);
        }
        finally
        {
            pool.MaxCachedBytes = bound;
            pool.Trim();
        }
    }

    [Fact]
    public void Default_cache_bounds_are_set_per_device_kind()
    {
        Assert.Equal(BufferPool.DefaultCpuMaxCachedBytes, Device.Cpu.Pool.MaxCachedBytes);
        foreach (var device in Device.Available.Where(d => d.Kind != DeviceKind.Cpu))
        {
            Assert.Equal(Math.Max(BufferPool.DefaultCpuMaxCachedBytes, device.MemoryBytes / 4),
                device.Pool.MaxCachedBytes);
        }
    }

    /// <summary>
    /// Memory live at a collection and disposed afterwards is not headroom for tensors dropped undisposed: once a large
    /// tensor that outlived a collection is gone, dropped tensors again bring a collection within the cache bound.
    /// After collections that find nothing dropped, the allowance stays within four times the bound.
    /// </summary>
    [Fact]
    public void Memory_disposed_after_a_collection_does_not_raise_the_bound_for_dropped_tensors()
    {
        const int Dropped = 16 * 1024; // 64 KiB each
        WithCacheBound(256 * 1024, pool =>
        {
            long peak = 0;
            RunOnFreshThread(() =>
            {
                var large = Tensor.Zeros([2 * 1024 * 1024], Device.Cpu); // 8 MiB
                long collections = pool.Collections;
                while (pool.Collections < collections + 2)
                {
                    _ = Tensor.Zeros([Dropped], Device.Cpu); // dropped: a collection comes within the bound
                }
                large.Dispose();
                peak = PeakOfDropped(pool, Dropped);
            });
            Assert.True(peak <= pool.MaxCachedBytes + Dropped * sizeof(float),
                $"dropped tensors reached {peak} live bytes over the start; the cache bound is {pool.MaxCachedBytes}");

            RunOnFreshThread(() =>
            {
                Pools.DrainFinalized(pool);
                for (int i = 0; i < 3; i++)
                {
                    Tensor.Zeros([(i + 1) * 1024 * 1024], Device.Cpu).Dispose(); // 4, 8, 12 MiB: nothing dropped
                }
                peak = PeakOfDropped(pool, Dropped);
            });
            Assert.True(peak <= 4 * pool.MaxCachedBytes + Dropped * sizeof(float),
                $"after fruitless collections dropped tensors reached {peak} live bytes; the bound is " +
                $"{pool.MaxCachedBytes}");
        });
    }

    // The most live bytes over the start while 200 tensors of `length` floats are made and dropped.
    private static long PeakOfDropped(BufferPool pool, int length)
    {
        Pools.DrainFinalized(pool);
        long start = pool.LiveBytes, peak = 0;
        for (int i = 0; i < 200; i++)
        {
            _ = Tensor.Zeros([length], Device.Cpu);
            peak = Math.Max(peak, pool.LiveBytes - start);
        }
        return peak;
    }

    /// <summary>
    /// A cache that large buffers filled once still serves the sizes a later loop rents: each returned buffer makes
    /// room for itself, so the loop allocates once, not on every rental.
    /// </summary>
    [Fact]
    public void A_cache_filled_by_large_buffers_makes_room_for_the_sizes_in_use() => WithCacheBound(1024 * 1024, pool =>
    {
        pool.Rent<float>(256 * 1024).Dispose(); // 1 MiB: the whole cache
        Assert.Equal(1024 * 1024, pool.CachedBytes);
        long allocations = pool.DeviceAllocations, reuses = pool.Reuses;
        for (int i = 0; i < 100; i++)
        {
            pool.Rent<float>(1024).Dispose();
        }
        Assert.Equal(1, pool.DeviceAllocations - allocations);
        Assert.Equal(99, pool.Reuses - reuses);
        Assert.True(pool.CachedBytes <= pool.MaxCachedBytes);
    });

    /// <summary>
    /// A scoped step whose temporaries outgrow the cache bound is real memory, not garbage: after a collection or two
    /// that find nothing dropped, the pool stops collecting for it.
    /// </summary>
    [Fact]
    public void Steps_whose_temporaries_outgrow_the_bound_do_not_collect_every_time() => WithCacheBound(256 * 1024,
        pool =>
        {
            long collections = pool.Collections;
            for (int step = 0; step < 20; step++)
            {
                using var scope = Tensor.Scope();
                for (int i = 0; i < 6; i++)
                {
                    _ = Tensor.Zeros([32 * 1024], Device.Cpu); // 128 KiB each: three times the bound a step
                }
            }
            long ran = pool.Collections - collections;
            Assert.True(ran <= 3, $"{ran} collections in 20 steps of 768 KiB of temporaries against a 256 KiB bound");
        });

    /// <summary>
    /// Runs <paramref name="body"/> with the CPU pool's cache bound set to <paramref name="bytes"/> (after taking back
    /// what earlier tests dropped), then restores the bound and empties the cache.
    /// </summary>
    private static void WithCacheBound(long bytes, Action<BufferPool> body)
    {
        var pool = Device.Cpu.Pool;
        long bound = pool.MaxCachedBytes;
        try
        {
            pool.MaxCachedBytes = bytes;
            Pools.DrainFinalized(pool);
            body(pool);
        }
        finally
        {
            pool.MaxCachedBytes = bound;
            Pools.DrainFinalized(pool);
            pool.Trim();
        }
    }

    /// <summary>
    /// The careless loop (no scope, no dispose; Adam on a small MLP) against the same loop in scopes. 2,000 steps on the
    /// user-facing CPU device; fewer where each op is an ILGPU launch. The cache bound is lowered for the test so that
    /// the bound bites well within the steps.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Careless_training_loop_stays_within_four_scoped_peaks_plus_the_cache_bound(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        int steps = deviceName == "cpu" ? 2000 : 200;
        var pool = device.Pool;
        long bound = pool.MaxCachedBytes;
        try
        {
            pool.MaxCachedBytes = 256 * 1024;
            long scoped = PeakOfLoop(device, steps, scoped: true);
            long careless = PeakOfLoop(device, steps, scoped: false);
            long limit = 4 * scoped + pool.MaxCachedBytes;
            Assert.True(careless <= limit,
                $"{device}: the careless loop peaked at {careless} live bytes over the start; the scoped loop at " +
                $"{scoped}; limit 4·{scoped} + {pool.MaxCachedBytes} = {limit}");
        }
        finally
        {
            pool.MaxCachedBytes = bound;
        }
    }

    /// <summary>The most live bytes over the start while training, read from the pool after every step.</summary>
    private static long PeakOfLoop(Device device, int steps, bool scoped)
    {
        var pool = device.Pool;
        Pools.DrainFinalized(pool);
        long start = pool.LiveBytes;
        long peak = 0;
        RunOnFreshThread(() =>
        {
            using var model = new Mlp(4, [16, 16], 2, Activation.Tanh, device, seed: 3);
            using var optimizer = new Adam(model.Parameters(), lr: 1e-2f);
            var x = Tensor.Randn([8, 4], seed: 1, device: device);
            var target = Tensor.Randn([8, 2], seed: 2, device: device);
            for (int step = 0; step < steps; step++)
            {
                using (scoped ? Tensor.Scope() : null)
                {
                    var loss = Functional.Mse(model.Forward(x), target);
                    loss.Backward();
                    optimizer.Step();
                    optimizer.ZeroGrad();
                }
                peak = Math.Max(peak, pool.LiveBytes - start);
            }
            x.Dispose();
            target.Dispose();
        });
        return peak;
    }

    private static void RunOnFreshThread(Action body)
    {
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                error = e;
            }
        });
        thread.Start();
        thread.Join();
        Assert.Null(error);
    }
}
