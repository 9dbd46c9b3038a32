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
        Primitives.Zip<float, AddOp>(StridedView.Contiguous(a, 3), StridedView.Contiguous(b, 3), c);
        Assert.Equal([11f, 22f, 33f], c.ToArray());
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Double_matmul_and_sum(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var pool = scope.Device.Pool;
        using var a = pool.Rent<double>(6);
        using var b = pool.Rent<double>(6);
        using var c = pool.Rent<double>(4);
        using var c2 = pool.Rent<double>(4);
        using var s = pool.Rent<double>(1);
        a.CopyFrom([1, 2, 3, 4, 5, 6]);
        b.CopyFrom([1, 0, 0, 1, 1, 1]);
        Primitives.MatMul(StridedView.Contiguous(a, 2, 3), StridedView.Contiguous(b, 3, 2), c, kernel: MatMulKernel.Naive);
        Primitives.MatMul(StridedView.Contiguous(a, 2, 3), StridedView.Contiguous(b, 3, 2), c2, kernel: MatMulKernel.Tiled);
        Assert.Equal([4d, 5d, 10d, 11d], c.ToArray());
        Assert.Equal([4d, 5d, 10d, 11d], c2.ToArray());
        Primitives.Reduce<double, SumReduce>(StridedView.Contiguous(c, 4), null, s, 0.25, ReduceStrategy.Groups);
        Assert.Equal([7.5d], s.ToArray());
        using var m = pool.Rent<double>(4);
        Primitives.Map<double, TanhOp>(StridedView.Contiguous(c, 4), m);
        Assert.Equal(Math.Tanh(4), m.ToArray()[0], 12);
    }
}
