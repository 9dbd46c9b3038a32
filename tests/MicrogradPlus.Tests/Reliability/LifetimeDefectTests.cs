using MicrogradPlus.Nn;
using MicrogradPlus.Optim;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Reliability;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// Lifetime defects found by trying the library as a careless user would: construction temporaries, use after
/// dispose, null values, device names that do not parse.
/// </summary>
public class LifetimeDefectTests
{
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Linear_holds_exactly_its_parameters(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var pool = scope.Device.Pool;
        Pools.DrainFinalized(pool);
        long before = pool.LiveBuffers;
        using (var layer = new Linear(3, 5, device: scope.Device, seed: 7))
        {
            Assert.Equal(before + 2, pool.LiveBuffers); // weight and bias, no temporary left for the GC
        }
        Assert.Equal(before, pool.LiveBuffers);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Optimizer_step_after_dispose_throws(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var w = Tensor.FromArray([1f, 2f], [2], scope.Device, requiresGrad: true);
        Optimizer[] optimizers = [new Adam([w]), new Sgd([w], lr: 0.1f, momentum: 0.9f), new AdamW([w])];
        foreach (var optimizer in optimizers)
        {
            (w * w).Sum().Backward();
            optimizer.Step();
            optimizer.Dispose();
            var before = w.ToArray();
            Assert.Throws<ObjectDisposedException>(optimizer.Step);
            Assert.Equal(before, w.ToArray());
            w.ZeroGrad();
        }
    }

    [Fact]
    public void LoadStateDict_with_a_null_value_names_the_key()
    {
        using var tensors = Tensor.Scope();
        using var layer = new Linear(2, 2, device: Device.Cpu, seed: 1);
        var state = new Dictionary<string, Tensor>(layer.StateDict()) { ["bias"] = null! };
        var error = Assert.Throws<ArgumentException>(() => layer.LoadStateDict(state));
        Assert.Contains("'bias' is null", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cuda:-1")]
    [InlineData("cuda:abc")]
    [InlineData("cpu:")]
    [InlineData("opencl:+1")]
    [InlineData("tpu")]
    public void Bad_device_names_list_the_devices_present(string spec)
    {
        var error = Assert.Throws<ArgumentException>(() => Device.Parse(spec));
        Assert.Contains(spec, error.Message, StringComparison.Ordinal);
        Assert.Contains("available: cpu [", error.Message, StringComparison.Ordinal);
    }
}
