using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Reliability;

using Tensor = MicrogradPlus.Tensor;

/// <summary>Autograd.DetectAnomaly: backward names the op whose rule produced NaN or ∞ and where it was called.</summary>
public class AnomalyDetectionTests
{
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Backward_names_the_op_that_made_an_infinite_gradient(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var x = Tensor.FromArray([0f, 4f], [2], scope.Device, requiresGrad: true);
        using (Autograd.DetectAnomaly())
        {
            Assert.True(Autograd.IsAnomalyDetectionEnabled);
            var y = (x.Sqrt() * 3f).Sum(); // d√x/dx = 1/(2√x): ∞ at 0
            var error = Assert.Throws<InvalidOperationException>(() => y.Backward());
            Assert.Contains("Function 'sqrt' backward returned inf values in its 0th output", error.Message,
                StringComparison.Ordinal);
            Assert.Contains("element 0", error.Message, StringComparison.Ordinal);
            Assert.Contains(nameof(Backward_names_the_op_that_made_an_infinite_gradient), error.Message,
                StringComparison.Ordinal);
        }
        Assert.False(Autograd.IsAnomalyDetectionEnabled);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Without_detection_or_with_finite_gradients_backward_runs(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var x = Tensor.FromArray([0f, 4f], [2], scope.Device, requiresGrad: true);
        x.Sqrt().Sum().Backward();
        Assert.True(float.IsPositiveInfinity(x.Grad!.ToArray()[0]));
        x.ZeroGrad();
        using (Autograd.DetectAnomaly())
        {
            (x * x).Sum().Backward();
        }
        Assert.Equal([0f, 8f], x.Grad!.ToArray());
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Backward_names_the_op_that_made_a_nan_gradient(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var x = Tensor.FromArray([-1f, 2f], [2], scope.Device, requiresGrad: true);
        using (Autograd.DetectAnomaly())
        {
            var y = x.Log().Sum(); // log(−1) = NaN forward; its gradient 1/x is finite, so the NaN comes later
            var z = (y * 0f + x.Pow(0.5f).Sum()); // d(x^0.5)/dx at −1 is NaN
            var error = Assert.Throws<InvalidOperationException>(() => z.Backward());
            Assert.Contains("returned nan values", error.Message, StringComparison.Ordinal);
            Assert.Contains("'pow'", error.Message, StringComparison.Ordinal);
        }
    }
}
