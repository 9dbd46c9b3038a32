using MicrogradPlus.Backends;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Tensor;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// Device memory stays flat over thousands of training steps, and every way a tensor's memory is released works:
/// scopes, moving out of a scope, views sharing storage, the graph freed by backward, the finalizer path.
/// </summary>
public class MemoryTests
{
    /// <summary>From this step on the pool's live counters must not move (the first steps may warm caches).</summary>
    private const int SteadyFrom = 100;

    [Fact]
    public void Mlp_training_keeps_pool_flat_for_2000_steps_on_cpu()
    {
        // Only the user-facing CPU device: the ILGPU-launch rows cost ~0.3 ms per launch, too slow for 2,000 steps.
        using var scope = TestDevices.Use("cpu");
        AssertFlatTraining(scope.Device, steps: 2000);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Mlp_training_keeps_pool_flat_for_300_steps(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        AssertFlatTraining(scope.Device, steps: 300);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Scope_disposes_the_tensors_created_inside_it(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var pool = scope.Device.Pool;
        Pools.DrainFinalized(pool);
        long before = pool.LiveBuffers;
        Tensor a, b, c;
        using (var tensors = Tensor.Scope())
        {
            a = Tensor.Ones([2, 3], scope.Device);
            b = a * 2f;
            c = (a + b).Sum();
            Assert.Equal(18f, c.Item());
            Assert.Equal(4, tensors.Count); // a, b, a + b and c
            Assert.Equal(before + 4, pool.LiveBuffers);
        }
        Assert.True(a.IsDisposed);
        Assert.True(b.IsDisposed);
        Assert.True(c.IsDisposed);
        Assert.Equal(before, pool.LiveBuffers);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Moved_out_tensor_survives_its_scope(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var pool = scope.Device.Pool;
        Pools.DrainFinalized(pool);
        long before = pool.LiveBuffers;
        Tensor kept, movedByScope, temporary;
        using (var outer = Tensor.Scope())
        {
            using (var inner = Tensor.Scope())
            {
                temporary = Tensor.Ones([4], scope.Device);
                kept = (temporary * 3f).MoveToOuterScope();
                movedByScope = inner.MoveOut(temporary + 1f);
            }
            Assert.True(temporary.IsDisposed);
            Assert.False(kept.IsDisposed);
            Assert.False(movedByScope.IsDisposed);
            Assert.Equal([3f, 3f, 3f, 3f], kept.ToArray());
            Assert.Equal([2f, 2f, 2f, 2f], movedByScope.ToArray());
            Assert.Equal(2, outer.Count);
        }
        // Moved to the enclosing scope, so that scope's end disposes them.
        Assert.True(kept.IsDisposed);
        Assert.True(movedByScope.IsDisposed);
        Assert.Equal(before, pool.LiveBuffers);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Tensor_moved_out_of_the_outermost_scope_is_the_callers_to_dispose(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var pool = scope.Device.Pool;
        Pools.DrainFinalized(pool);
        long before = pool.LiveBuffers;
        Tensor result;
        using (Tensor.Scope())
        {
            result = (Tensor.Ones([3], scope.Device) * 5f).MoveToOuterScope();
        }
        Assert.False(result.IsDisposed);
        Assert.Equal(before + 1, pool.LiveBuffers);
        Assert.Equal([5f, 5f, 5f], result.ToArray());
        result.Dispose();
        Assert.Equal(before, pool.LiveBuffers);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Nested_scopes_dispose_innermost_first(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var pool = scope.Device.Pool;
        Pools.DrainFinalized(pool);
        long before = pool.LiveBuffers;
        using (var outer = Tensor.Scope())
        {
            var a = Tensor.Ones([2], scope.Device);
            Tensor b, c;
            using (var middle = Tensor.Scope())
            {
                b = a + 1f;
                using (var inner = Tensor.Scope())
                {
                    c = b * a;
                    Assert.Equal(1, inner.Count);
                }
                Assert.True(c.IsDisposed);
                Assert.False(b.IsDisposed);
                Assert.Equal(1, middle.Count);
            }
            Assert.True(b.IsDisposed);
            Assert.False(a.IsDisposed);
            Assert.Equal(before + 1, pool.LiveBuffers);
            Assert.Equal(1, outer.Count);
        }
        Assert.Equal(before, pool.LiveBuffers);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Views_keep_storage_alive_until_the_last_one_is_disposed(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var pool = scope.Device.Pool;
        Pools.DrainFinalized(pool);
        long before = pool.LiveBuffers;
        var x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], [2, 3], scope.Device);
        var reshaped = x.Reshape(3, 2);
        var rank3 = x.Reshape(1, 2, 3);
        var expanded = rank3.Expand(4, 2, 3);
        rank3.Dispose();
        Assert.Equal(before + 1, pool.LiveBuffers); // every view shares the one buffer

        x.Dispose();
        Assert.True(x.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => x.ToArray());
        Assert.Equal(before + 1, pool.LiveBuffers);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], reshaped.ToArray());

        reshaped.Dispose();
        Assert.Equal(before + 1, pool.LiveBuffers);
        using (Tensor.Scope())
        {
            Assert.Equal(84f, expanded.Sum().Item()); // 4 copies of 1 + … + 6
        }

        expanded.Dispose();
        Assert.Equal(before, pool.LiveBuffers);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Backward_frees_the_graph_unless_retained(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var x = Tensor.FromArray([1f, 2f, 3f], [3], scope.Device, requiresGrad: true);

        var y = (x * x).Sum();
        y.Backward();
        Assert.Equal([2f, 4f, 6f], x.Grad!.ToArray());
        var error = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("retainGraph", error.Message, StringComparison.Ordinal);
        Assert.Contains("second time", error.Message, StringComparison.Ordinal);

        x.ZeroGrad();
        var z = (x * x).Sum();
        z.Backward(retainGraph: true);
        z.Backward();
        Assert.Equal([4f, 8f, 12f], x.Grad!.ToArray()); // accumulated twice
        Assert.Throws<InvalidOperationException>(() => z.Backward());
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Abandoned_tensor_is_reclaimed_by_the_pool_after_gc(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var pool = scope.Device.Pool;
        Pools.DrainFinalized(pool);
        long before = pool.LiveBuffers;

        CreateAndAbandon(scope.Device);
        Assert.Equal(before + 1, pool.LiveBuffers);

        // The finalizer only queues the buffer; the pool takes it back at its next rental, on this thread.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.Equal(before + 1, pool.LiveBuffers);
        // Same size bucket: the pool hands the reclaimed memory out again, and it must still be valid device memory.
        using var next = Tensor.Full([64], 3f, scope.Device);
        Assert.Equal(before + 1, pool.LiveBuffers); // the new tensor's buffer; the abandoned one came back
        Assert.All(next.ToArray(), v => Assert.Equal(3f, v));
        next.Dispose();
        Assert.Equal(before, pool.LiveBuffers);
    }

    /// <summary>
    /// Tensors made inside a scope carry no leak guard (the scope disposes them); those that leave it alive — moved out
    /// of the outermost scope, a view moved out of a disposed tensor's memory, a leaf's gradient — get one, so dropping
    /// them undisposed still returns their memory to the pool.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Tensors_that_leave_a_scope_alive_are_still_reclaimed_after_gc(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var pool = scope.Device.Pool;
        Pools.DrainFinalized(pool);
        long before = pool.LiveBuffers;

        RunOnFreshThread(() =>
        {
            using (Tensor.Scope())
            {
                Tensor.Ones([64], scope.Device).MoveToOuterScope(); // no outer scope: only the GC can find it dropped

                var full = Tensor.Ones([4, 16], scope.Device);
                full.Reshape(64).MoveToOuterScope(); // the view keeps the memory after the scope disposes `full`

                var leaf = Tensor.Ones([64], scope.Device, requiresGrad: true).MoveToOuterScope();
                (leaf * 2f).Sum().Backward(); // its gradient is made in the scope, then owned by the leaf
                Assert.NotNull(leaf.Grad);
            }
        });
        Assert.Equal(before + 4, pool.LiveBuffers); // kept, the view's memory, the leaf and its gradient
        Pools.DrainFinalized(pool); // the pool takes back what the finalizers queued
        Assert.Equal(before, pool.LiveBuffers);
    }

    /// <summary>
    /// Trains x (8, 4) → tanh(x·W1 + b1) (8, 16) → ·W2 + b2 (8, 1) on a mean squared error with plain SGD, each step in
    /// its own scope, parameters updated in place under NoGrad, and records the pool's live counters after every step.
    /// </summary>
    private static void AssertFlatTraining(Device device, int steps)
    {
        const float learningRate = 0.1f;
        var pool = device.Pool;
        Pools.DrainFinalized(pool);
        long baselineBuffers = pool.LiveBuffers;
        long baselineBytes = pool.LiveBytes;
        var liveBuffers = new long[steps];
        var liveBytes = new long[steps];
        float firstLoss = float.NaN, lastLoss = float.NaN;

        using (Tensor.Scope())
        {
            var x = Tensor.Randn([8, 4], seed: 1, device: device);
            var target = Tensor.Randn([8, 1], seed: 2, device: device);
            var w1 = Parameter(Tensor.Randn([4, 16], seed: 3, device: device), 0.5f);
            var b1 = Parameter(Tensor.Zeros([16], device), 1f);
            var w2 = Parameter(Tensor.Randn([16, 1], seed: 4, device: device), 0.25f);
            var b2 = Parameter(Tensor.Zeros([1], device), 1f);
            Tensor[] parameters = [w1, b1, w2, b2];

            for (int step = 0; step < steps; step++)
            {
                using (Tensor.Scope())
                {
                    var hidden = (x.MatMul(w1) + b1).Tanh();
                    var output = hidden.MatMul(w2) + b2;
                    var loss = (output - target).Pow(2).Mean();
                    loss.Backward();
                    using (Autograd.NoGrad())
                    {
                        foreach (var p in parameters)
                        {
                            p.CopyFrom(p - learningRate * p.Grad!);
                        }
                    }
                    foreach (var p in parameters)
                    {
                        p.ZeroGrad();
                    }
                    if (step == 0)
                    {
                        firstLoss = loss.Item();
                    }
                    else if (step == steps - 1)
                    {
                        lastLoss = loss.Item();
                    }
                }
                liveBuffers[step] = pool.LiveBuffers;
                liveBytes[step] = pool.LiveBytes;
            }

            Assert.All(parameters, p => Assert.True(p.IsLeaf && p.RequiresGrad && p.Grad is null));
        }

        Assert.True(lastLoss < firstLoss / 2, $"{device}: loss went from {firstLoss} to {lastLoss}: no training");
        for (int step = SteadyFrom; step < steps; step++)
        {
            if (liveBuffers[step] != liveBuffers[SteadyFrom] || liveBytes[step] != liveBytes[SteadyFrom])
            {
                Assert.Fail($"{device}: step {step} has {liveBuffers[step]} live buffers ({liveBytes[step]} B), " +
                            $"step {SteadyFrom} had {liveBuffers[SteadyFrom]} ({liveBytes[SteadyFrom]} B): a leak");
            }
        }
        // Between steps only the inputs and parameters are alive, and nothing at all once their scope is gone.
        Assert.Equal(baselineBuffers + 6, liveBuffers[SteadyFrom]);
        Assert.Equal(baselineBuffers, pool.LiveBuffers);
        Assert.Equal(baselineBytes, pool.LiveBytes);
    }

    /// <summary>A leaf that requires grad holding <paramref name="initial"/> · <paramref name="scale"/>.</summary>
    private static Tensor Parameter(Tensor initial, float scale)
    {
        var parameter = initial * scale;
        initial.Dispose();
        parameter.RequiresGrad = true;
        return parameter;
    }

    /// <summary>
    /// Creates a tensor and drops it without disposing it, on a fresh thread: no scope can hold it (scopes are per
    /// thread) and no stack frame of this one keeps a reference.
    /// </summary>
    private static void CreateAndAbandon(Device device) => RunOnFreshThread(() => _ = Tensor.Ones([64], device));

    /// <summary>Runs <paramref name="body"/> on a fresh thread, so no stack frame of this one holds what it made.</summary>
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
