using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Kernels;

public class SmokeTests
{
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Add_two_vectors(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var pool = scope.Device.Pool;
        using var a = pool.Rent<float>(3);
        using var b = pool.Rent<float>(3);
        using var c = pool.Rent<float>(3);
        a.CopyFrom([1f, 2f, 3f]);
        b.CopyFrom([10f, 20f, 30f]);
        Primitives.Zip<AddOp>(StridedView.Contiguous(a, 3), StridedView.Contiguous(b, 3), c);
        Assert.Equal([11f, 22f, 33f], c.ToArray());
    }
}
