using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Kernels;

/// <summary>The float64 references the kernel tests trust, checked against tabulated values.</summary>
public class HostReferenceTests
{
    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.1, 0.1124629160182849)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(2.5, 0.9995930479825550)]
    [InlineData(3.0, 0.9999779095030014)]
    [InlineData(-1.5, -0.9661051464753108)]
    public void Erf_matches_tables(double x, double expected) =>
        Assert.Equal(expected, HostMath.Erf(x), 1e-15);

    [Theory]
    [InlineData(2.5, 4.069520174449590e-4)]
    [InlineData(3.0, 2.209049699858544e-5)]
    [InlineData(4.0, 1.541725790028002e-8)]
    [InlineData(6.0, 2.1519736712498916e-17)]
    [InlineData(-1.0, 1.842700792949715)]
    public void Erfc_keeps_its_relative_precision_in_the_tail(double x, double expected) =>
        Assert.True(Math.Abs(HostMath.Erfc(x) / expected - 1) < 1e-13, $"erfc({x}) = {HostMath.Erfc(x):R}");

    [Fact]
    public void Gelu_matches_pytorch()
    {
        // torch.nn.functional.gelu(torch.tensor([1., -1., 3.], dtype=torch.float64))
        Assert.Equal(0.8413447460685429, HostMath.Gelu(1), 1e-15);
        Assert.Equal(-0.15865525393145707, HostMath.Gelu(-1), 1e-15);
        Assert.Equal(2.99595030590511, HostMath.Gelu(3), 1e-14);
        Assert.True(double.IsNaN(HostMath.Gelu(double.NaN)));
        Assert.Equal(double.PositiveInfinity, HostMath.Gelu(double.PositiveInfinity));
        // gelu'(x) = Φ(x) + x·φ(x), against a central difference of the reference itself.
        foreach (double x in new[] { -3.0, -0.75, 0.0, 0.5, 2.0 })
        {
            double h = 1e-5;
            double numeric = (HostMath.Gelu(x + h) - HostMath.Gelu(x - h)) / (2 * h);
            Assert.Equal(numeric, HostMath.GeluGrad(x), 1e-9);
        }
    }

    [Fact]
    public void Host_views_broadcast_and_walk_strides()
    {
        var data = Enumerable.Range(0, 12).Select(i => (double)i).ToArray();
        var x = HostView.Contiguous(data, 3, 4);
        Assert.Equal([0d, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11], x.TransposeLast().Logical());
        Assert.Equal([3d, 2, 1, 0], x.Slice(0, 0, 1).Flip(1).Logical());
        Assert.Equal([4d, 5, 6, 7, 4, 5, 6, 7], x.Slice(0, 1, 2).Expand(2, 4).Logical());
        Assert.Equal(7, x.At([5, 1, 3]));
        Assert.Equal([2, 3, 4], HostView.BroadcastShape([3, 1], [2, 1, 4]));
        Assert.Equal(24, HostView.Indices([2, 3, 4]).Count());
    }
}
