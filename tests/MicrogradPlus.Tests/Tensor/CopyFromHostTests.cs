using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Tensor;

using Tensor = MicrogradPlus.Tensor;

/// <summary><c>Tensor.CopyFrom</c> with host values: in place, row-major, through views, with clear refusals.</summary>
public class CopyFromHostTests
{
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Host_values_land_in_place_row_major(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        using var x = Tensor.Zeros([2, 3], device);
        Assert.Same(x, x.CopyFrom([1f, 2f, 3f, 4f, 5f, 6f]));
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], x.ToArray());

        using var wide = Tensor.Zeros([3], device, DType.Float64);
        wide.CopyFrom([0.1f, 2f, -3f]);
        Assert.Equal([(double)0.1f, 2d, -3d], wide.ToDoubleArray());

        using var labels = Tensor.Zeros([4], device, DType.Int32);
        labels.CopyFrom([3, 1, 4, 1]);
        Assert.Equal([3, 1, 4, 1], labels.ToInt32Array());

        using var grid = Tensor.Zeros([3, 2], device);
        using var column = grid.Slice(1, 1, 2);          // a strided view: every other element
        column.CopyFrom([7f, 8f, 9f]);
        Assert.Equal([0f, 7f, 0f, 8f, 0f, 9f], grid.ToArray());
    }

    [Fact]
    public void Wrong_counts_and_types_are_refused_by_name()
    {
        using var x = Tensor.Zeros([2, 3], Device.Cpu);
        var count = Assert.Throws<ArgumentException>(() => x.CopyFrom([1f, 2f]));
        Assert.Contains("2 values for a tensor of shape", count.Message);
        Assert.Contains("(6 elements)", count.Message);
        var type = Assert.Throws<ArgumentException>(() => x.CopyFrom([1, 2, 3, 4, 5, 6]));
        Assert.Contains("int values cannot go into a Float32 tensor", type.Message);
        using var labels = Tensor.Zeros([2], Device.Cpu, DType.Int32);
        Assert.Throws<ArgumentException>(() => labels.CopyFrom([1f, 2f]));
        using var w = Tensor.Zeros([2], Device.Cpu, requiresGrad: true);
        Assert.Throws<InvalidOperationException>(() => w.CopyFrom([1f, 2f]));
    }
}
