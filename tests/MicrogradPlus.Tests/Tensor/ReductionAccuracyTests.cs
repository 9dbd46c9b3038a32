using System.Globalization;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Tensor;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// Long reductions must not accumulate sequentially (DESIGN.md "Measured facts"): summing a million copies of 0.1f
/// one after another drifts by hundreds of units. Each result here must lie within 4 ulps (of its own type) of the
/// exact value. The float nearest 0.1 is 0.100000001490116119384765625, so n of them sum to n times that exactly;
/// PyTorch's pairwise sum of 10⁶ of them gives 100000.0078125, 1 ulp from 100000.0014901161.
/// </summary>
public class ReductionAccuracyTests
{
    private const double TenthAsFloat = 0.100000001490116119384765625; // (double)0.1f, exact
    private const int Ulps = 4;

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Sum_of_a_million_tenths_is_within_4_ulps(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var x = Tensor.Full([1_000_000], 0.1f, scope.Device);
        using var sum = x.Sum();
        AssertWithinUlps("Σ 0.1f × 10⁶", 1_000_000 * TenthAsFloat, sum.Item());
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Mean_of_ten_million_tenths_is_within_4_ulps(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var x = Tensor.Full([10_000_000], 0.1f, scope.Device);
        using var mean = x.Mean();
        AssertWithinUlps("mean of 0.1f × 10⁷", TenthAsFloat, mean.Item());
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Row_and_column_sums_of_a_thousand_tenths_are_within_4_ulps(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var x = Tensor.Full([1000, 1000], 0.1f, scope.Device);
        var failures = new List<string>();
        foreach (int axis in (int[])[1, 0])
        {
            using var sums = x.Sum(axis);
            Assert.Equal([1000], sums.Shape);
            // The first output that misses, per axis, so one run shows both layouts.
            var miss = sums.ToArray().Select((v, i) => UlpMiss($"Σ over axis {axis}, [{i}]", 1000 * TenthAsFloat, v))
                .FirstOrDefault(m => m is not null);
            if (miss is not null)
            {
                failures.Add(miss);
            }
        }
        Assert.True(failures.Count == 0, string.Join("; ", failures));
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Float64_sum_of_a_million_tenths_is_within_4_ulps(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var x = Tensor.Full([1_000_000], 0.1f, scope.Device, DType.Float64);
        using var sum = x.Sum();
        var value = sum.ToDoubleArray();
        Assert.Single(value);
        double expected = 1_000_000 * TenthAsFloat; // exact: 0.1f has 24 significant bits, 10⁶ has 20
        double ulp = Math.BitIncrement(expected) - expected;
        double error = Math.Abs(value[0] - expected) / ulp;
        Assert.True(error <= Ulps, string.Create(CultureInfo.InvariantCulture,
            $"float64 Σ 0.1f × 10⁶: expected {expected:R}, got {value[0]:R} ({error:G4} ulps of {ulp:G3})"));
    }

    // |actual − expected| ≤ 4 ulps of the float nearest to expected.
    private static void AssertWithinUlps(string what, double expected, float actual)
    {
        var miss = UlpMiss(what, expected, actual);
        Assert.True(miss is null, miss);
    }

    private static string? UlpMiss(string what, double expected, float actual)
    {
        float nearest = (float)expected;
        double ulp = (double)MathF.BitIncrement(nearest) - nearest;
        double error = Math.Abs(actual - expected) / ulp;
        return error <= Ulps ? null : string.Create(CultureInfo.InvariantCulture,
            $"{what}: expected {expected:R}, got {actual:R} ({error:G4} ulps of {ulp:G3})");
    }
}
