using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Tensor;

using Tensor = MicrogradPlus.Tensor;

public class CoreTests
{
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Square_sum_gradient_is_two_x(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var x = Tensor.FromArray([1f, 2f, 3f], [3], scope.Device, requiresGrad: true);
        var y = (x * x).Sum();
        Assert.Equal(14f, y.Item());
        y.Backward();
        Assert.Equal([2f, 4f, 6f], x.Grad!.ToArray());
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Broadcast_add_sums_gradient_back(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var a = Tensor.Ones([3, 4], scope.Device, requiresGrad: true);
        var b = Tensor.FromArray([1f, 2f, 3f], [3, 1], scope.Device, requiresGrad: true);
        var c = (a + b) * b;
        c.Sum().Backward();
        Assert.Equal(Enumerable.Repeat(new[] { 1f, 2f, 3f }, 1).SelectMany(v => v.SelectMany(x => Enumerable.Repeat(x, 4))),
            a.Grad!.ToArray());
        // d/db sum((a+b)b) = sum over row of (a + 2b) = 4·(1 + 2b)
        Assert.Equal([12f, 20f, 28f], b.Grad!.ToArray());
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Second_derivative_of_cube_is_six_x(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var x = Tensor.FromArray([1f, -2f, 0.5f], [3], scope.Device, requiresGrad: true);
        var y = (x * x * x).Sum();
        var dx = Autograd.Grad(y, [x], createGraph: true)[0];
        Assert.Equal([3f, 12f, 0.75f], dx.ToArray());
        dx.Sum().Backward();
        Assert.Equal([6f, -12f, 3f], x.Grad!.ToArray());
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void GradCheck_passes_for_exp_of_product(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var a = Tensor.Randn([2, 3], seed: 1, device: scope.Device);
        var b = Tensor.Randn([3], seed: 2, device: scope.Device);
        Assert.True(Autograd.GradCheck(x => (x[0] * x[1]).Exp(), [a, b]));
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Contiguous_slices_read_and_convert_only_their_elements(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var x = Tensor.Arange(10f, scope.Device);
        var head = x.Slice(0, 0, 4);   // offset 0, buffer longer than the view
        var middle = x.Slice(0, 2, 6); // offset 2
        Assert.Equal([0f, 1f, 2f, 3f], head.ToArray());
        Assert.Equal([2f, 3f, 4f, 5f], middle.ToArray());
        Assert.Equal([0d, 1d, 2d, 3d], head.To(DType.Float64).ToDoubleArray());
        Assert.Equal([2f, 3f, 4f, 5f], middle.To(DType.Float64).To(DType.Float32).ToArray());
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Uninitialized_tensors_have_shape_dtype_and_device_and_take_writes(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var y = Tensor.Uninitialized([2, 3], scope.Device, DType.Float64);
        Assert.Equal([2, 3], y.Shape);
        Assert.Equal(DType.Float64, y.DType);
        Assert.Same(scope.Device, y.Device);
        Assert.False(y.RequiresGrad);
        y.CopyFrom(Tensor.Full([2, 3], 1.5f, scope.Device, DType.Float64));
        Assert.Equal(Enumerable.Repeat(1.5, 6), y.ToDoubleArray());
        var e = Assert.Throws<ArgumentException>(() => Tensor.Uninitialized([2, -1], scope.Device));
        Assert.Contains("-1", e.Message, StringComparison.Ordinal);
    }
}
