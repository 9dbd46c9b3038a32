using MicrogradPlus.Data;
using MicrogradPlus.Nn;
using MicrogradPlus.Optim;
using Xunit;

namespace MicrogradPlus.Tests.QuickStart;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// The README's C# quick start, kept compiling and true: the code between the "quick start" comments is copied
/// verbatim into README.md.
/// </summary>
public class QuickStartTests
{
    [Fact]
    public void Quick_start_trains_an_mlp_on_moons()
    {
        // quick start begin
        var device = Device.Cpu; // or Device.Default: CUDA, then OpenCL, then the CPU
        using var tensors = Tensor.Scope(); // disposes the tensors created below when it ends

        // A tensor that records its operations, and its gradient: d/da Σ a² = 2a.
        var a = Tensor.FromArray([1f, 2f, 3f], [3], device, requiresGrad: true);
        var y = (a * a).Sum();
        y.Backward();
        float value = y.Item();           // 14
        float[] grad = a.Grad!.ToArray(); // [2, 4, 6]

        // A 2 → 16 → 16 → 2 ReLU network learning two interleaving half moons with Adam.
        var moons = Datasets.Moons(200, noise: 0.1, seed: 1);
        var x = moons.ToTensor(device);
        Tensor.ManualSeed(0); // the weights below are drawn from it, as after torch.manual_seed(0)
        using var model = new Mlp(2, [16, 16], 2, device: device);
        using var optimizer = new Adam(model.Parameters(), lr: 0.02f);
        var losses = new List<float>();
        for (int step = 0; step < 100; step++)
        {
            using var stepTensors = Tensor.Scope(); // frees this step's activations and graph
            var loss = Functional.CrossEntropy(model.Forward(x), moons.Labels);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            losses.Add(loss.Item());
        }
        // losses[0] ≈ 0.69 (a coin flip between two classes), losses[^1] < 0.01
        // quick start end

        Assert.Equal(14f, value);
        Assert.Equal([2f, 4f, 6f], grad);
        Assert.True(losses[0] > 0.5f, $"first loss {losses[0]}");
        Assert.True(losses[^1] < 0.01f, $"last loss {losses[^1]}");
    }
}
