using MicrogradPlus.Nn;
using MicrogradPlus.Optim;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Tensor;

/// <summary>
/// What a training step costs the device, counted with <see cref="Device.Launches"/> and <see cref="Device.HostReads"/>:
/// on a GPU each launch is a few microseconds of host time, so launch counts are the speed of small models, and a host
/// read stalls the queue. Also the ownership rules that save launches: a leaf takes a gradient computed for it alone
/// instead of a copy, never one that something else can still see.
/// </summary>
public class StepCostTests
{
    /// <summary>
    /// 2-16-16-1 with MSE: forward 3 (3 matmuls that add their bias as they store, the first two with the relu after
    /// them fused into that store), loss 2 (fused: squared differences, mean), backward 11 (MSE 1 — the seed is the
    /// device's constant 1, no fill —, per layer Gᵀ·x, bias sum and — except the first — G·W, 2 fused relu
    /// backwards), SGD 1 (six parameters, one launch) = 17. With cross-entropy (fused too: 2 launches forward, 1
    /// backward) in place of MSE: also 17.
    /// No host reads in either; the only upload is cross-entropy's class indices.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void A_training_step_launches_a_fixed_number_of_kernels_and_reads_nothing_back(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        Assert.Equal(17, StepCost(device, [2, 16, 16, 1], 20, crossEntropy: false, out long mseReads,
            out long mseWrites));
        Assert.Equal(0, mseReads);
        Assert.Equal(0, mseWrites);
        Assert.Equal(17, StepCost(device, [12, 8, 8, 5], 20, crossEntropy: true, out long ceReads, out long ceWrites));
        Assert.Equal(0, ceReads);
        Assert.Equal(1, ceWrites); // the class indices, which arrive as an int[] from the host
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Leaves_never_share_a_gradient_tensor(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        using var tensors = MicrogradPlus.Tensor.Scope();
        // x + y hands both leaves the same gradient tensor: each must get its own.
        var x = MicrogradPlus.Tensor.FromArray([1f, 2f], [2], device, requiresGrad: true);
        var y = MicrogradPlus.Tensor.FromArray([3f, 4f], [2], device, requiresGrad: true);
        (x + y).Backward(MicrogradPlus.Tensor.FromArray([1f, 1f], [2], device));
        Assert.NotSame(x.Grad, y.Grad);
        x.Grad!.Dispose();
        Assert.Equal([1f, 1f], y.Grad!.ToArray());

        // The caller's gradient stays the caller's, also when it reaches a leaf unchanged (clone's backward passes it on).
        var z = MicrogradPlus.Tensor.FromArray([5f, 6f], [2], device, requiresGrad: true);
        var seed = MicrogradPlus.Tensor.FromArray([0.5f, 2f], [2], device);
        z.Clone().Backward(seed);
        Assert.NotSame(seed, z.Grad);
        seed.Dispose();
        Assert.Equal([0.5f, 2f], z.Grad!.ToArray());

        // A view of a gradient shares its memory: the leaf gets a copy.
        var w = MicrogradPlus.Tensor.FromArray([1f, 2f, 3f, 4f], [2, 2], device, requiresGrad: true);
        (w.Transpose(0, 1) * MicrogradPlus.Tensor.FromArray([1f, 2f, 3f, 4f], [2, 2], device)).Sum().Backward();
        Assert.Equal([1f, 3f, 2f, 4f], w.Grad!.ToArray());

        // Gradients accumulate into a leaf's own tensor across backward passes.
        var v = MicrogradPlus.Tensor.FromArray([1f, 2f], [2], device, requiresGrad: true);
        (v * 3f).Sum().Backward();
        var first = v.Grad;
        (v * v).Sum().Backward();
        Assert.Same(first, v.Grad);
        Assert.Equal([5f, 7f], v.Grad!.ToArray());
    }

    /// <summary>
    /// Backward() starts from the device's constant 1, shared by every pass: a leaf that receives it unchanged gets a
    /// copy, Autograd.Grad hands out a copy, and overwriting either leaves later passes right.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void The_constant_seed_is_never_handed_out_itself(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        using var tensors = MicrogradPlus.Tensor.Scope();
        var x = MicrogradPlus.Tensor.Scalar(3f, device, requiresGrad: true);
        x.Clone().Backward(); // clone's backward passes the seed on unchanged
        Assert.Equal([1f], x.Grad!.ToArray());
        x.Grad.CopyFrom(MicrogradPlus.Tensor.Scalar(-7f, device));

        var y = MicrogradPlus.Tensor.FromArray([2f], [1, 1], device, requiresGrad: true);
        var loss = y * 5f;
        var own = Autograd.Grad(loss, [loss], retainGraph: true)[0];
        Assert.Equal([1f], own.ToArray());
        Assert.Equal([1, 1], own.Shape);
        own.CopyFrom(MicrogradPlus.Tensor.FromArray([9f], [1, 1], device));
        own.Dispose();

        loss.Backward();
        Assert.Equal([5f], y.Grad!.ToArray());
        (x * x).Backward();
        Assert.Equal([-1f], x.Grad!.ToArray()); // −7 + 2·3
    }

    /// <summary>
    /// Eleven parameters (one of them empty, one without a gradient) take two launches per step, and every one of them
    /// ends exactly where a separate optimizer of its own would have put it.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Optimizers_update_eight_parameters_per_launch(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        foreach (bool adam in new[] { false, true })
        {
            using var tensors = MicrogradPlus.Tensor.Scope();
            int[][] shapes = [[3], [2, 2], [5], [0], [1], [4, 3], [2], [7], [3, 3], [6], [2, 5]];
            MicrogradPlus.Tensor[] Make(ulong seed) => shapes.Select((shape, i) =>
                MicrogradPlus.Tensor.Randn(shape, seed: seed + (ulong)i, device: device, requiresGrad: true)).ToArray();
            var together = Make(10);
            var alone = Make(10);
            foreach (var set in new[] { together, alone })
            {
                for (int i = 0; i < set.Length; i++)
                {
                    if (i != 4) // parameter 4 gets no gradient: skipped, as in PyTorch
                    {
                        (set[i] * set[i] * (i + 1f)).Sum().Backward();
                    }
                }
            }
            using Optimizer joint = adam ? new Adam(together, 0.1f) : new Sgd(together, 0.1f, momentum: 0.9f);
            var separate = alone.Select(p => adam ? (Optimizer)new Adam([p], 0.1f) : new Sgd([p], 0.1f, momentum: 0.9f))
                .ToArray();
            for (int step = 0; step < 3; step++)
            {
                long before = device.Launches;
                joint.Step();
                if (step > 0) // the first step also zero-fills Adam's moments
                {
                    Assert.Equal(2, device.Launches - before);
                }
                foreach (var optimizer in separate)
                {
                    optimizer.Step();
                }
            }
            for (int i = 0; i < together.Length; i++)
            {
                Assert.Equal(alone[i].ToArray(), together[i].ToArray());
            }
            foreach (var optimizer in separate)
            {
                optimizer.Dispose();
            }
        }
    }

    private static long StepCost(Device device, int[] widths, int batch, bool crossEntropy, out long hostReads,
        out long hostWrites)
    {
        using var model = new Mlp(widths[0], widths[1..^1], widths[^1], Activation.Relu, device, seed: 1);
        using var optimizer = new Sgd(model.Parameters(), 0.01f, momentum: 0.9f);
        using var x = MicrogradPlus.Tensor.Randn([batch, widths[0]], seed: 2, device: device);
        using var y = MicrogradPlus.Tensor.Randn([batch, widths[^1]], seed: 3, device: device);
        int[] classes = Enumerable.Range(0, batch).Select(i => i % widths[^1]).ToArray();
        long launches = 0;
        hostReads = hostWrites = 0;
        for (int step = 0; step < 3; step++) // the first step also creates the momentum buffers
        {
            long l0 = device.Launches, r0 = device.HostReads, w0 = device.HostWrites;
            using (MicrogradPlus.Tensor.Scope())
            {
                var output = model.Forward(x);
                var loss = crossEntropy ? Functional.CrossEntropy(output, classes) : Functional.Mse(output, y);
                loss.Backward();
                optimizer.Step();
                optimizer.ZeroGrad();
            }
            (launches, hostReads, hostWrites) = (device.Launches - l0, device.HostReads - r0, device.HostWrites - w0);
        }
        return launches;
    }
}
