using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Kernels;

/// <summary>
/// Uniform and Normal: one seed gives the same numbers on every device (compared with the CPU device's host loop and
/// with a float64 evaluation of the same counter hash), and 64K samples have the right range and moments.
/// </summary>
public class RandomTests
{
    private const int Samples = 1 << 16;

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Uniform_is_the_same_on_every_device_and_uniform(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        var log = new Mismatches();
        foreach (var (seed, low, high) in new[] { (42UL, 0f, 1f), (7UL, -3f, 5f) })
        {
            var values = Draw(device, y => Primitives.Uniform(y, seed, low, high));
            var onCpu = OnCpuHostLoop(y => Primitives.Uniform(y, seed, low, high));
            var exact = Enumerable.Range(0, Samples)
                .Select(i => low + (high - (double)low) * CounterRandom.Unit(CounterRandom.Hash(seed, (ulong)i)))
                .ToArray();
            string context = $"uniform(seed {seed}, [{low}, {high})) on {device}";
            // low + (high − low)·u is one float multiply-add: at most an ulp apart, fused or not.
            var tolerance = new Tolerance(2.4e-7, 1e-7 * (high - low));
            log.Compare($"{context} against the CPU device", Widen(values), Widen(onCpu), tolerance);
            log.Compare($"{context} against float64", Widen(values), exact, tolerance);

            Assert.All(values, v => Assert.InRange(v, low, high));
            Assert.True(values.All(v => v < high), $"{context}: a sample reached the exclusive upper bound");
            double mean = values.Average(v => (double)v);
            double width = high - (double)low;
            // The mean of n uniforms has standard deviation width/√(12n): allow five of them.
            Assert.InRange(mean, (low + high) / 2.0 - 5 * width / Math.Sqrt(12.0 * Samples),
                (low + high) / 2.0 + 5 * width / Math.Sqrt(12.0 * Samples));
            double variance = values.Average(v => Math.Pow(v - mean, 2));
            Assert.InRange(Math.Sqrt(variance), 0.99 * width / Math.Sqrt(12), 1.01 * width / Math.Sqrt(12));
            // Ten equal bins each hold a tenth, within five binomial standard deviations (≈ 0.006).
            var bins = new int[10];
            foreach (float v in values)
            {
                bins[Math.Min(9, (int)((v - low) / width * 10))]++;
            }
            Assert.All(bins, count => Assert.InRange(count / (double)Samples, 0.1 - 0.006, 0.1 + 0.006));
        }
        var other = Draw(device, y => Primitives.Uniform(y, 43, 0, 1));
        var first = Draw(device, y => Primitives.Uniform(y, 42, 0, 1));
        Assert.True(other.Zip(first).Count(p => p.First == p.Second) < 10, "seeds 42 and 43 gave the same numbers");
        Assert.All(Draw(device, y => Primitives.Uniform(y, 1, 2.5f, 2.5f)), v => Assert.Equal(2.5f, v));
        log.AssertNone();
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Normal_is_the_same_on_every_device_and_normal(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        var log = new Mismatches();
        var standard = Draw(device, y => Primitives.Normal(y, 42));
        var onCpu = OnCpuHostLoop(y => Primitives.Normal(y, 42));
        var exact = Enumerable.Range(0, Samples).Select(i => BoxMuller(42, i)).ToArray();
        // Box–Muller through float log/cos: a few ulp on the CPU and PoCL. CUDA's lg2.approx is off by ~1e-7
        // absolutely near u₁ = 1, where √(−2 ln u₁) is tiny and so magnifies it: up to ~3e-4 absolute there.
        var tolerance = device.Kind == DeviceKind.Cuda ? new Tolerance(1e-4, 1e-3) : new Tolerance(1e-5, 1e-5);
        log.Compare($"normal(seed 42) on {device} against the CPU device", Widen(standard), Widen(onCpu), tolerance);
        log.Compare($"normal(seed 42) on {device} against float64", Widen(standard), exact, tolerance);

        double mean = standard.Average(v => (double)v);
        double std = Math.Sqrt(standard.Average(v => Math.Pow(v - mean, 2)));
        // Sampling errors: mean ±1/√n (0.004), std ±1/√(2n) (0.003); allow five of each.
        Assert.InRange(mean, -0.02, 0.02);
        Assert.InRange(std, 0.985, 1.015);
        Assert.InRange(standard.Count(v => Math.Abs(v) < 1) / (double)Samples, 0.6827 - 0.01, 0.6827 + 0.01);
        Assert.InRange(standard.Count(v => Math.Abs(v) < 2) / (double)Samples, 0.9545 - 0.005, 0.9545 + 0.005);
        Assert.All(standard, v => Assert.True(float.IsFinite(v)));

        var shifted = Draw(device, y => Primitives.Normal(y, 42, 3f, 2f));
        log.Compare($"normal(seed 42, mean 3, std 2) on {device}", Widen(shifted),
            standard.Select(v => 3 + 2 * (double)v).ToArray(), new Tolerance(1e-6, 1e-6));
        var zero = Draw(device, y => Primitives.Normal(y, 5, 1.5f, 0f));
        Assert.All(zero, v => Assert.Equal(1.5f, v));
        log.AssertNone();
    }

    [Fact]
    public void Bad_ranges_are_rejected()
    {
        using var buffers = new BufferSet();
        var y = buffers.Rent<float>(Device.Cpu, 4);
        Assert.Throws<ArgumentException>(() => Primitives.Uniform(y, 1, 2f, 1f));
        Assert.Throws<ArgumentException>(() => Primitives.Uniform(y, 1, float.NaN, 1f));
        Assert.Throws<ArgumentException>(() => Primitives.Normal(y, 1, 0f, -1f));
        Assert.Throws<ArgumentException>(() => Primitives.Normal(y, 1, 0f, float.NaN));
        var empty = buffers.Rent<float>(Device.Cpu, 0);
        Primitives.Uniform(empty, 1);
        Primitives.Normal(empty, 1);
    }

    private static float[] Draw(Device device, Action<DeviceBuffer<float>> generate)
    {
        using var y = device.Pool.Rent<float>(Samples);
        generate(y);
        return y.ToArray();
    }

    /// <summary>The CPU device's result with its host loop on, whatever the test's device scope set.</summary>
    private static float[] OnCpuHostLoop(Action<DeviceBuffer<float>> generate)
    {
        var cpu = Device.Cpu;
        bool previous = cpu.RunsHostLoops;
        cpu.RunsHostLoops = true;
        try
        {
            return Draw(cpu, generate);
        }
        finally
        {
            cpu.RunsHostLoops = previous;
        }
    }

    /// <summary>Box–Muller in float64 from the same two counter draws the kernel uses for element i.</summary>
    private static double BoxMuller(ulong seed, int i)
    {
        double u1 = CounterRandom.UnitNonZero(CounterRandom.Hash(seed, 2UL * (ulong)i));
        double u2 = CounterRandom.Unit(CounterRandom.Hash(seed, 2UL * (ulong)i + 1));
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    private static double[] Widen(float[] values) => values.Select(v => (double)v).ToArray();
}
