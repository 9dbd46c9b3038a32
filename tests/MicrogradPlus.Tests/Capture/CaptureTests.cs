using MicrogradPlus.Nn;
using MicrogradPlus.Optim;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Capture;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// <c>Device.Capture</c>: a replayed step equals an eager step bit for bit, on every device; what a replay could not
/// repeat is refused at capture time, leaving nothing held; replays keep memory flat.
/// </summary>
public class CaptureTests
{
    private const int Batch = 16, Features = 4, Classes = 3;

    public static TheoryData<string, string, string> DevicesOptimizersLosses
    {
        get
        {
            var data = new TheoryData<string, string, string>();
            foreach (string device in TestDevices.All)
            {
                foreach (string optimizer in new[] { "sgd", "adam" })
                {
                    foreach (string loss in new[] { "mse", "cross-entropy" })
                    {
                        data.Add(device, optimizer, loss);
                    }
                }
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(DevicesOptimizersLosses))]
    public void Replayed_steps_equal_eager_steps_bit_for_bit(string deviceName, string optimizerName, string lossName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        const int steps = 100;
        using var eager = new Trainer(device, optimizerName, lossName);
        using var captured = new Trainer(device, optimizerName, lossName);

        var eagerLosses = new float[steps];
        var replayLosses = new float[steps];
        for (int k = 0; k < steps; k++)
        {
            eager.Load(k);
            using var loss = eager.Step();
            eagerLosses[k] = loss.Item();
        }
        captured.Load(0);
        using var step = device.Capture(captured.Step);
        replayLosses[0] = float.NaN; // the capture's own step (the warm-up) returns no loss to read
        for (int k = 1; k < steps; k++)
        {
            captured.Load(k);
            replayLosses[k] = step.Replay().Item();
        }

        for (int k = 1; k < steps; k++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(eagerLosses[k]) == BitConverter.SingleToInt32Bits(replayLosses[k]),
                $"{deviceName}, {optimizerName}, {lossName}: step {k} lost {replayLosses[k]:R} replayed, " +
                $"{eagerLosses[k]:R} eager");
        }
        var eagerParameters = eager.Model.Parameters().ToArray();
        var capturedParameters = captured.Model.Parameters().ToArray();
        for (int p = 0; p < eagerParameters.Length; p++)
        {
            Assert.Equal(eagerParameters[p].ToArray(), capturedParameters[p].ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Replays_keep_memory_flat(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        int replays = deviceName == "cpu" ? 10_000 : 300; // a launch on ILGPU's CPU accelerator costs ~0.3 ms
        using var trainer = new Trainer(device, "adam", "mse");
        trainer.Load(1);
        using var step = device.Capture(trainer.Step);
        step.Replay();
        Pools.DrainFinalized(device.Pool);
        var before = device.MemoryStats();
        for (int k = 0; k < replays; k++)
        {
            step.Replay();
        }
        Pools.DrainFinalized(device.Pool);
        var after = device.MemoryStats();
        Assert.Equal(before.LiveBuffers, after.LiveBuffers);
        Assert.Equal(before.LiveBytes, after.LiveBytes);
        Assert.Equal(before.DeviceAllocations, after.DeviceAllocations);
        Assert.True(float.IsFinite(step.Output.Item()));
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Disposing_the_capture_gives_its_memory_back(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        using var trainer = new Trainer(device, "sgd", "cross-entropy");
        trainer.Load(2);
        trainer.Step().Dispose(); // optimizer state and kernels exist before the count starts
        Pools.DrainFinalized(device.Pool);
        long live = device.MemoryStats().LiveBuffers;
        var step = device.Capture(() =>
        {
            using var inner = Tensor.Scope();
            return inner.MoveOut(trainer.Step());
        });
        Assert.True(step.HeldBuffers > 0);
        Assert.True(step.RecordedLaunches > 0);
        step.Replay();
        step.Dispose();
        Pools.DrainFinalized(device.Pool);
        // The gradients the captured step wrote stay with the parameters, as the warm-up's did before.
        Assert.Equal(live, device.MemoryStats().LiveBuffers);
        Assert.Throws<ObjectDisposedException>(() => step.Replay());
    }

    public static TheoryData<string, string> DevicesAndRefusals
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (string device in TestDevices.All)
            {
                foreach (string refusal in new[] { "item", "from-array", "int-array-labels", "dropout", "weighted-ce" })
                {
                    data.Add(device, refusal);
                }
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(DevicesAndRefusals))]
    public void What_a_replay_cannot_repeat_is_refused_at_capture_time(string deviceName, string refusal)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        using var trainer = new Trainer(device, "adam", refusal == "weighted-ce" ? "cross-entropy" : "mse");
        trainer.Load(3);
        trainer.Step().Dispose();
        Pools.DrainFinalized(device.Pool);
        long live = device.MemoryStats().LiveBuffers;
        Func<Tensor> step = refusal switch
        {
            "item" => () =>
            {
                var loss = trainer.Step();
                Console.Write(loss.Item() > 0 ? "" : " ");
                return loss;
            },
            "from-array" => () => trainer.Step() * Tensor.FromArray([2f], [1], device),
            "int-array-labels" => () => Functional.CrossEntropy(trainer.Model.Forward(trainer.X),
                Enumerable.Range(0, Batch).Select(i => i % 2).ToArray()),
            "dropout" => () => new Dropout(0.5f).Forward(trainer.X).Sum(),
            "weighted-ce" => () => Functional.CrossEntropy(trainer.Model.Forward(trainer.X), trainer.Labels,
                weight: trainer.ClassWeights),
            _ => throw new ArgumentException(refusal),
        };
        var error = Assert.Throws<InvalidOperationException>(() => device.Capture(step));
        Assert.Contains("captured step", error.Message);
        Assert.Contains(device.ToString(), error.Message);

        // Nothing stays recorded: the next eager op runs, and whatever the refused recording held is back.
        using (var probe = Tensor.Full([4], 2f, device))
        using (var twice = probe * 3f)
        {
            Assert.Equal([6f, 6f, 6f, 6f], twice.ToArray());
        }
        Pools.DrainFinalized(device.Pool);
        Assert.True(device.MemoryStats().LiveBuffers <= live + trainer.Model.Parameters().Count(),
            $"{device.MemoryStats().LiveBuffers} buffers live after the refusal, {live} before");
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void A_replay_checks_its_labels_as_the_eager_call_would(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        using var trainer = new Trainer(device, "sgd", "cross-entropy");
        trainer.Load(4);
        using var step = device.Capture(trainer.Step);
        step.Replay();

        using (var bad = Tensor.FromArray(Enumerable.Repeat(Classes, Batch).ToArray(), [Batch], device))
        {
            trainer.Labels.CopyFrom(bad);
        }
        var outOfRange = Assert.Throws<ArgumentOutOfRangeException>(() => step.Replay());
        Assert.Contains($"outside [0, {Classes})", outOfRange.Message);

        using (var ignored = Tensor.FromArray(Enumerable.Repeat(-100, Batch).ToArray(), [Batch], device))
        {
            trainer.Labels.CopyFrom(ignored);
        }
        var ignoreIndex = Assert.Throws<InvalidOperationException>(() => step.Replay());
        Assert.Contains("ignore index", ignoreIndex.Message);
    }

    [Fact]
    public void A_batch_of_another_shape_cannot_reach_a_captured_step()
    {
        var device = Device.Cpu;
        using var trainer = new Trainer(device, "sgd", "mse");
        trainer.Load(10);
        using var step = device.Capture(trainer.Step);
        using var bigger = Tensor.Zeros([Batch + 1, Features], device);
        var copy = Assert.Throws<ArgumentException>(() => trainer.X.CopyFrom(bigger));
        Assert.Contains($"({Batch + 1}, {Features})", copy.Message);
        Assert.Contains($"({Batch}, {Features})", copy.Message);
        var host = Assert.Throws<ArgumentException>(() => trainer.X.CopyFrom(new float[(Batch + 1) * Features]));
        Assert.Contains($"{(Batch + 1) * Features} values", host.Message);
        Assert.True(float.IsFinite(step.Replay().Item()));
    }

    [Fact]
    public void ZeroGrad_outside_the_captured_step_is_refused_at_replay()
    {
        var device = Device.Cpu;
        using var trainer = new Trainer(device, "adam", "mse");
        trainer.Load(5);
        using var step = device.Capture(trainer.Step);
        trainer.Optimizer.ZeroGrad();
        var error = Assert.Throws<InvalidOperationException>(() => step.Replay());
        Assert.Contains("ZeroGrad", error.Message);
    }

    [Fact]
    public void A_capture_inside_a_capture_is_refused()
    {
        var device = Device.Cpu;
        using var trainer = new Trainer(device, "sgd", "mse");
        trainer.Load(6);
        var error = Assert.Throws<InvalidOperationException>(() => device.Capture(() =>
        {
            using var inner = device.Capture(trainer.Step);
            return trainer.Step();
        }));
        Assert.Contains("do not nest", error.Message);
    }

    [Fact]
    public void A_step_that_touches_another_device_is_refused()
    {
        if (!Device.IsAvailable(DeviceKind.OpenCL))
        {
            Assert.Skip($"opencl: {Device.WhyUnavailable(DeviceKind.OpenCL)}");
        }
        using var trainer = new Trainer(Device.Cpu, "sgd", "mse");
        trainer.Load(7);
        using var elsewhere = Tensor.Ones([4], Device.OpenCL());
        var error = Assert.Throws<InvalidOperationException>(() => Device.Cpu.Capture(() =>
        {
            using var doubled = elsewhere * 2f;
            return trainer.Step();
        }));
        Assert.Contains(Device.OpenCL().ToString(), error.Message);
        Assert.Contains("as well", error.Message);
    }

    [Fact]
    public void An_output_on_another_device_and_a_null_step_are_refused()
    {
        using var trainer = new Trainer(Device.Cpu, "sgd", "mse");
        trainer.Load(8);
        Assert.Throws<ArgumentNullException>(() => Device.Cpu.Capture(null!));
        var nothing = Assert.Throws<InvalidOperationException>(() => Device.Cpu.Capture(() => null!));
        Assert.Contains("returned null", nothing.Message);
    }

    [Fact]
    public void Replays_from_two_threads_take_turns_and_match_one_thread()
    {
        var device = Device.Cpu;
        using var alone = new Trainer(device, "adam", "mse");
        using var shared = new Trainer(device, "adam", "mse");
        alone.Load(9);
        shared.Load(9);
        using var one = device.Capture(alone.Step);
        using var two = device.Capture(shared.Step);
        for (int k = 0; k < 200; k++)
        {
            one.Replay();
        }
        Parallel.For(0, 200, new ParallelOptions { MaxDegreeOfParallelism = 2 }, _ => two.Replay());
        Assert.Equal(one.Output.Item(), two.Output.Item());
        var expected = alone.Model.Parameters().Select(p => p.ToArray()).ToArray();
        var actual = shared.Model.Parameters().Select(p => p.ToArray()).ToArray();
        for (int p = 0; p < expected.Length; p++)
        {
            Assert.Equal(expected[p], actual[p]);
        }
    }

    /// <summary>A small MLP, its optimizer, and inputs that live before any capture.</summary>
    private sealed class Trainer : IDisposable
    {
        private readonly Device _device;
        private readonly string _loss;

        public Trainer(Device device, string optimizer, string loss)
        {
            _device = device;
            _loss = loss;
            Model = new Mlp(Features, [16, 16], loss == "mse" ? 2 : Classes, Activation.Tanh, device, seed: 11);
            Optimizer = optimizer == "sgd"
                ? new Sgd(Model.Parameters(), lr: 0.05f, momentum: 0.9f)
                : new Adam(Model.Parameters(), lr: 0.01f);
            X = Tensor.Zeros([Batch, Features], device);
            Y = Tensor.Zeros([Batch, 2], device);
            Labels = Tensor.FromArray(new int[Batch], [Batch], device);
            ClassWeights = Tensor.FromArray([1f, 2f, 0.5f], [Classes], device);
        }

        public Mlp Model { get; }

        public Optimizer Optimizer { get; }

        public Tensor X { get; }

        public Tensor Y { get; }

        public Tensor Labels { get; }

        public Tensor ClassWeights { get; }

        /// <summary>Batch <paramref name="k"/> into the input tensors (the same data for every trainer).</summary>
        public void Load(int k)
        {
            using var x = Tensor.Randn([Batch, Features], seed: (ulong)(100 + k), device: _device);
            using var y = Tensor.Randn([Batch, 2], seed: (ulong)(500 + k), device: _device);
            using var labels = Tensor.FromArray(
                Enumerable.Range(0, Batch).Select(i => (i * 7 + k) % Classes).ToArray(), [Batch], _device);
            X.CopyFrom(x);
            Y.CopyFrom(y);
            Labels.CopyFrom(labels);
        }

        /// <summary>One training step; returns the loss.</summary>
        public Tensor Step()
        {
            Optimizer.ZeroGrad();
            var output = Model.Forward(X);
            var loss = _loss == "mse" ? Functional.Mse(output, Y) : Functional.CrossEntropy(output, Labels);
            loss.Backward();
            Optimizer.Step();
            return loss;
        }

        public void Dispose()
        {
            Optimizer.Dispose();
            Model.Dispose();
            X.Dispose();
            Y.Dispose();
            Labels.Dispose();
            ClassWeights.Dispose();
        }
    }
}
