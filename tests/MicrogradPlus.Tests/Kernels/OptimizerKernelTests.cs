using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Kernels;

/// <summary>The fused SGD and Adam/AdamW update kernels against PyTorch's update rules evaluated in float64.</summary>
public class OptimizerKernelTests
{
    private const int Length = 37;

    private static readonly (string Name, SgdSettings Settings)[] SgdCases =
    [
        ("plain", new SgdSettings { LearningRate = 0.1f }),
        ("weight decay", new SgdSettings { LearningRate = 0.05f, WeightDecay = 0.01f }),
        ("momentum, first step", new SgdSettings { LearningRate = 0.1f, Momentum = 0.9f, FirstStep = 1 }),
        ("momentum with dampening", new SgdSettings { LearningRate = 0.1f, Momentum = 0.9f, Dampening = 0.25f }),
        ("Nesterov", new SgdSettings { LearningRate = 0.1f, Momentum = 0.8f, Nesterov = 1, WeightDecay = 0.1f }),
    ];

    private static readonly (string Name, AdamSettings Settings)[] AdamCases =
    [
        ("Adam, step 1", Adam(step: 1, weightDecay: 0, decoupled: false)),
        ("Adam with L2, step 10", Adam(step: 10, weightDecay: 0.01f, decoupled: false)),
        ("AdamW, step 3", Adam(step: 3, weightDecay: 0.05f, decoupled: true)),
    ];

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Sgd_step_matches_the_float64_update(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        var log = new Mismatches();
        var (p, g, b) = (Values(1), Values(2), Values(3));
        foreach (var (name, s) in SgdCases)
        {
            using var buffers = new BufferSet();
            var parameter = buffers.Upload(device, p);
            var momentum = buffers.Upload(device, b);
            Primitives.SgdStep(parameter, buffers.Upload(device, g), momentum, s);
            var expectedP = new double[Length];
            var expectedB = new double[Length];
            for (int i = 0; i < Length; i++)
            {
                double grad = g[i] + (double)s.WeightDecay * p[i];
                double buf = b[i];
                if (s.Momentum != 0)
                {
                    buf = s.FirstStep != 0 ? grad : s.Momentum * (double)b[i] + (1 - (double)s.Dampening) * grad;
                    grad = s.Nesterov != 0 ? grad + s.Momentum * buf : buf;
                }
                expectedP[i] = p[i] - s.LearningRate * grad;
                expectedB[i] = buf;
            }
            var tolerance = Tolerance.F32(device, transcendental: false);
            log.Compare($"sgd {name} on {device}: parameter", Widen(parameter.ToArray()), expectedP, tolerance);
            log.Compare($"sgd {name} on {device}: momentum buffer", Widen(momentum.ToArray()), expectedB, tolerance);
        }
        log.AssertNone();
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Adam_step_matches_the_float64_update(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        var log = new Mismatches();
        var (p, g, m0) = (Values(4), Values(5), Values(6));
        var v0 = Values(7).Select(Math.Abs).ToArray();
        foreach (var (name, s) in AdamCases)
        {
            using var buffers = new BufferSet();
            var parameter = buffers.Upload(device, p);
            var m = buffers.Upload(device, m0);
            var v = buffers.Upload(device, v0);
            Primitives.AdamStep(parameter, buffers.Upload(device, g), m, v, s);
            var (expectedP, expectedM, expectedV) = (new double[Length], new double[Length], new double[Length]);
            for (int i = 0; i < Length; i++)
            {
                double param = p[i], grad = g[i];
                if (s.Decoupled != 0)
                {
                    param *= 1 - (double)s.LearningRate * s.WeightDecay;
                }
                else
                {
                    grad += (double)s.WeightDecay * param;
                }
                expectedM[i] = s.Beta1 * (double)m0[i] + (1 - (double)s.Beta1) * grad;
                expectedV[i] = s.Beta2 * (double)v0[i] + (1 - (double)s.Beta2) * grad * grad;
                double denominator = Math.Sqrt(expectedV[i]) / s.SqrtBiasCorrection2 + s.Epsilon;
                expectedP[i] = param - s.StepSize * expectedM[i] / denominator;
            }
            var tolerance = Tolerance.F32(device, transcendental: true);
            log.Compare($"adam {name} on {device}: parameter", Widen(parameter.ToArray()), expectedP, tolerance);
            log.Compare($"adam {name} on {device}: m", Widen(m.ToArray()), expectedM, tolerance);
            log.Compare($"adam {name} on {device}: v", Widen(v.ToArray()), expectedV, tolerance);
        }
        log.AssertNone();
    }

    /// <summary>
    /// Eleven parameters updated together (launches of eight; on the CPU device one host loop per launch, cut across
    /// cores inside a 70,000-element parameter) equal each parameter updated alone, bit for bit, for SGD with momentum
    /// and for AdamW; one launch per eight parameters.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Many_parameters_update_as_each_alone(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        int[] lengths = [5, 70000, 1, 37, 16, 300, 2, 9, 4096, 3, 64];
        var random = new Random(8);
        float[] Fresh(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var data = lengths.Select(n => (P: Fresh(n), G: Fresh(n), A: Fresh(n), B: Fresh(n))).ToArray();
        var sgd = new SgdSettings { LearningRate = 0.1f, Momentum = 0.9f, Dampening = 0.1f, WeightDecay = 0.01f };
        var adam = Adam(step: 4, weightDecay: 0.05f, decoupled: true);
        using var buffers = new BufferSet();
        DeviceBuffer<float>[] Upload(Func<(float[] P, float[] G, float[] A, float[] B), float[]> pick) =>
            data.Select(d => buffers.Upload(device, pick(d))).ToArray();
        var (p1, a1) = (Upload(d => d.P), Upload(d => d.A));
        var (p2, a2) = (Upload(d => d.P), Upload(d => d.A));
        var grads = Upload(d => d.G);
        long launches = device.Launches;
        Primitives.SgdSteps(lengths.Select((_, i) => new SgdUpdate(p1[i], grads[i], a1[i], sgd)).ToList());
        Assert.Equal(2, device.Launches - launches);
        for (int i = 0; i < lengths.Length; i++)
        {
            Primitives.SgdStep(p2[i], grads[i], a2[i], sgd);
            Assert.Equal(p2[i].ToArray(), p1[i].ToArray());
            Assert.Equal(a2[i].ToArray(), a1[i].ToArray());
        }
        var (v1, v2) = (Upload(d => d.B), Upload(d => d.B));
        Primitives.AdamSteps(lengths.Select((_, i) => new AdamUpdate(p1[i], grads[i], a1[i], v1[i], adam)).ToList());
        for (int i = 0; i < lengths.Length; i++)
        {
            Primitives.AdamStep(p2[i], grads[i], a2[i], v2[i], adam);
            Assert.Equal(p2[i].ToArray(), p1[i].ToArray());
            Assert.Equal(v2[i].ToArray(), v1[i].ToArray());
        }
    }

    /// <summary>
    /// The CPU device's loops over spans (vector lanes, then a scalar tail) update exactly as the kernel does on
    /// ILGPU's CPU accelerator: SGD and Adam/AdamW, every case, 1,003 elements.
    /// </summary>
    [Fact]
    public void Cpu_loops_update_as_the_kernel_does_bit_for_bit()
    {
        var random = new Random(9);
        float[] Fresh() => Enumerable.Range(0, 1003).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var (p, g, a, b) = (Fresh(), Fresh(), Fresh(), Fresh().Select(Math.Abs).ToArray());
        float[][] Run(string deviceName, Action<Device, BufferSet, DeviceBuffer<float>[]> update)
        {
            using var scope = TestDevices.Use(deviceName);
            using var buffers = new BufferSet();
            var state = new[] { p, a, b }.Select(values => buffers.Upload(scope.Device, values)).ToArray();
            update(scope.Device, buffers, state);
            return state.Select(buffer => buffer.ToArray()).ToArray();
        }
        foreach (var (name, settings) in SgdCases)
        {
            void Sgd(Device device, BufferSet buffers, DeviceBuffer<float>[] state) =>
                Primitives.SgdStep(state[0], buffers.Upload(device, g), state[1], settings);
            Assert.Equal(Run("cpu-ilgpu", Sgd), Run("cpu", Sgd));
        }
        foreach (var (name, settings) in AdamCases)
        {
            void Adam(Device device, BufferSet buffers, DeviceBuffer<float>[] state) =>
                Primitives.AdamStep(state[0], buffers.Upload(device, g), state[1], state[2], settings);
            Assert.Equal(Run("cpu-ilgpu", Adam), Run("cpu", Adam));
        }
    }

    [Fact]
    public void Updates_reject_mismatched_lengths()
    {
        using var buffers = new BufferSet();
        var cpu = Device.Cpu;
        var p = buffers.Rent<float>(cpu, 4);
        var e = Assert.Throws<ArgumentException>(
            () => Primitives.SgdStep(p, buffers.Rent<float>(cpu, 3), buffers.Rent<float>(cpu, 4), default));
        Assert.Contains("4 elements", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Primitives.AdamStep(p, buffers.Rent<float>(cpu, 4),
            buffers.Rent<float>(cpu, 4), buffers.Rent<float>(cpu, 5), Adam(1, 0, false)));
    }

    private static AdamSettings Adam(int step, float weightDecay, bool decoupled)
    {
        const double lr = 1e-2, beta1 = 0.9, beta2 = 0.999;
        return new AdamSettings
        {
            LearningRate = (float)lr,
            Beta1 = (float)beta1,
            Beta2 = (float)beta2,
            Epsilon = 1e-8f,
            WeightDecay = weightDecay,
            StepSize = (float)(lr / (1 - Math.Pow(beta1, step))),
            SqrtBiasCorrection2 = (float)Math.Sqrt(1 - Math.Pow(beta2, step)),
            Decoupled = decoupled ? 1 : 0,
        };
    }

    private static float[] Values(int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, Length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    private static double[] Widen(float[] values) => values.Select(v => (double)v).ToArray();
}
