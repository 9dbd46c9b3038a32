using MicrogradPlus.Nn;
using MicrogradPlus.Optim;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Reliability;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// A short soak: 5,000 scoped Adam steps of a small MLP on the CPU device keep every pool counter flat and the
/// process's working set bounded. scripts/soak.sh runs the long version by hand.
/// </summary>
public class SoakTests
{
    private const int Steps = 5000;
    private const int SteadyFrom = 100;

    [Fact]
    public void Five_thousand_steps_keep_pool_counters_flat_and_working_set_bounded()
    {
        var device = Device.Cpu;
        Pools.DrainFinalized(device.Pool);
        using var model = new Mlp(4, [16, 16], 2, Activation.Tanh, device, seed: 5);
        using var optimizer = new Adam(model.Parameters(), lr: 1e-2f);
        using var data = Tensor.Scope();
        var x = Tensor.Randn([8, 4], seed: 1, device: device);
        var target = Tensor.Randn([8, 2], seed: 2, device: device);
        MemoryStats steady = default;
        long steadyWorkingSet = 0;
        for (int step = 0; step < Steps; step++)
        {
            using (Tensor.Scope())
            {
                var loss = Functional.Mse(model.Forward(x), target);
                loss.Backward();
                optimizer.Step();
                optimizer.ZeroGrad();
            }
            var stats = device.MemoryStats();
            if (step == SteadyFrom)
            {
                steady = stats;
                steadyWorkingSet = Environment.WorkingSet;
            }
            else if (step > SteadyFrom && (stats.LiveBuffers != steady.LiveBuffers ||
                     stats.LiveBytes != steady.LiveBytes || stats.CachedBytes != steady.CachedBytes ||
                     stats.DeviceAllocations != steady.DeviceAllocations))
            {
                Assert.Fail($"step {step}: {stats}; step {SteadyFrom}: {steady}");
            }
        }
        long growth = Environment.WorkingSet - steadyWorkingSet;
        Assert.True(growth < 64L * 1024 * 1024, $"the working set grew by {growth / 1024} KiB over {Steps} steps");
    }
}
