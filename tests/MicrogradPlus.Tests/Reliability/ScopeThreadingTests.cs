using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Reliability;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// Scopes across threads and async code: a scope flows with the async context, may be disposed after an await on
/// another thread, on another thread altogether, or out of order, and tensors may be disposed on any thread — in every
/// case nothing leaks and no later tensor joins a dead scope.
/// </summary>
public class ScopeThreadingTests
{
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public async Task Scope_spans_an_await_and_is_disposed_on_the_thread_that_resumes(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var pool = scope.Device.Pool;
        Pools.DrainFinalized(pool);
        long before = pool.LiveBuffers;
        var (a, b) = await ScopeAcrossAwait(scope.Device);
        Assert.True(a.IsDisposed && b.IsDisposed);
        Assert.Equal(before, pool.LiveBuffers);
        AssertNoScopeHere(scope.Device);
    }

    private static async Task<(Tensor, Tensor)> ScopeAcrossAwait(Device device)
    {
        Tensor a, b;
        using (var tensors = Tensor.Scope())
        {
            a = Tensor.Ones([4], device);
            // Resumes on a thread-pool thread, without the test's synchronization context.
            await Task.Delay(1, TestContext.Current.CancellationToken).ConfigureAwait(false);
            b = a * 3f;
            Assert.Equal(2, tensors.Count);
            Assert.Same(tensors, b.OwnerScope);
        }
        AssertNoScopeHere(device);
        return (a, b);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Scope_disposed_on_another_thread_frees_its_tensors_and_is_no_longer_current(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var pool = scope.Device.Pool;
        Pools.DrainFinalized(pool);
        long before = pool.LiveBuffers;
        var tensors = Tensor.Scope();
        var a = Tensor.Ones([4], scope.Device);
        var b = a + 1f;
        RunOnThread(tensors.Dispose);
        Assert.True(tensors.IsDisposed);
        Assert.True(a.IsDisposed && b.IsDisposed);
        Assert.Equal(before, pool.LiveBuffers);
        AssertNoScopeHere(scope.Device);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Scopes_disposed_out_of_order_free_everything_and_restore_the_enclosing_scope(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var pool = scope.Device.Pool;
        Pools.DrainFinalized(pool);
        long before = pool.LiveBuffers;
        using (var root = Tensor.Scope())
        {
            var outer = Tensor.Scope();
            var a = Tensor.Ones([2], scope.Device);
            var inner = Tensor.Scope();
            var b = a * 2f;
            outer.Dispose(); // before inner: allowed, frees a
            Assert.True(a.IsDisposed);
            Assert.False(b.IsDisposed);
            var c = Tensor.Ones([2], scope.Device);
            Assert.Same(inner, c.OwnerScope); // inner is still open and innermost
            var moved = inner.MoveOut(Tensor.Ones([2], scope.Device));
            Assert.Same(root, moved.OwnerScope); // past the dead outer scope to the live one
            inner.Dispose();
            Assert.True(b.IsDisposed && c.IsDisposed);
            Assert.False(moved.IsDisposed);
            var d = Tensor.Ones([2], scope.Device);
            Assert.Same(root, d.OwnerScope);
        }
        Assert.Equal(before, pool.LiveBuffers);
        AssertNoScopeHere(scope.Device);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Tensors_of_one_scope_disposed_on_many_threads_while_it_ends_leak_nothing(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var pool = scope.Device.Pool;
        Pools.DrainFinalized(pool);
        long before = pool.LiveBuffers;
        for (int round = 0; round < 5; round++)
        {
            var tensors = Tensor.Scope();
            var made = new Tensor[400];
            for (int i = 0; i < made.Length; i++)
            {
                made[i] = Tensor.Zeros([2], scope.Device);
            }
            using var start = new Barrier(5);
            var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
            var threads = Enumerable.Range(0, 4).Select(t => StartThread(() =>
            {
                start.SignalAndWait();
                for (int i = t; i < made.Length; i += 4)
                {
                    made[i].Dispose();
                    made[(i * 7 + 3) % made.Length].Dispose();
                }
            }, errors)).ToList();
            threads.Add(StartThread(() =>
            {
                start.SignalAndWait();
                tensors.Dispose();
            }, errors));
            threads.ForEach(t => t.Join());
            Assert.Empty(errors);
            Assert.All(made, t => Assert.True(t.IsDisposed));
            Assert.Equal(before, pool.LiveBuffers);
        }
        AssertNoScopeHere(scope.Device);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public async Task Tensors_made_by_tasks_started_inside_a_scope_belong_to_it(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var pool = scope.Device.Pool;
        Pools.DrainFinalized(pool);
        long before = pool.LiveBuffers;
        float[] sums;
        using (var tensors = Tensor.Scope())
        {
            var x = Tensor.Arange(8, scope.Device);
            // Four tasks launching at once on every device, OpenCL included (its launches take turns inside the
            // kernel executor: ILGPU sets kernel arguments on an object all threads share).
            sums = await Task.WhenAll(Enumerable.Range(0, 4).Select(k => Task.Run(() =>
            {
                float total = 0;
                for (int i = 0; i < 10; i++)
                {
                    total += (x * (float)k).Sum().Item();
                }
                return total;
            })));
            Assert.Equal(1 + 4 * 10 * 2, tensors.Count); // x, and per task and iteration x·k and its sum
        }
        Assert.Equal([0f, 280f, 560f, 840f], sums);
        Assert.Equal(before, pool.LiveBuffers);
    }

    /// <summary>A tensor made here now belongs to no scope: it is neither disposed nor owned by a dead scope.</summary>
    private static void AssertNoScopeHere(Device device)
    {
        var probe = Tensor.Ones([1], device);
        Assert.Null(probe.OwnerScope);
        Assert.False(probe.IsDisposed);
        probe.Dispose();
    }

    private static void RunOnThread(Action body)
    {
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        StartThread(body, errors).Join();
        Assert.Empty(errors);
    }

    private static Thread StartThread(Action body, System.Collections.Concurrent.ConcurrentQueue<Exception> errors)
    {
        var thread = new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                errors.Enqueue(e);
            }
        });
        thread.Start();
        return thread;
    }
}
