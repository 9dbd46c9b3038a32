// A walkthrough to run top to bottom: `dotnet run docs/walkthrough.cs` from the repository root (.NET 10 SDK).
// Outside the repository, replace the #:project line by `#:package MicrogradPlus@<version>`.
#:project ../src/Tensor/MicrogradPlus.csproj
// ILGPU compiles kernels at run time, so the app must run on the JIT, not NativeAOT (a file-based app's default):
#:property PublishAot=false

using MicrogradPlus;
using MicrogradPlus.Data;
using MicrogradPlus.Nn;
using MicrogradPlus.Optim;

// 1. micrograd's scalar engine: d = a·(a + b), so ∂d/∂a = 2a + b = 7.
var a = new Value(2);
var b = new Value(3);
var c = a + b;
var d = a * c;
d.Backward();
Console.WriteLine($"1. scalars: d = {d.Data}, a.Grad = {a.Grad}, b.Grad = {b.Grad}");
Check(a.Grad == 7 && b.Grad == 2, "a.Grad should be 7 and b.Grad 2");

// 2. The same on tensors. c has two elements, so backward needs the output's gradient (ones: L = Σ c).
var device = Device.Default; // CUDA, then OpenCL, then the CPU (or MICROGRAD_DEVICE)
Console.WriteLine($"   device: {device.Describe()}");
using (Tensor.Scope())
{
    var x = Tensor.FromArray([1f, 2f], [2], device, requiresGrad: true);
    var y = Tensor.FromArray([3f, 4f], [2], device, requiresGrad: true);
    var z = x + y;
    z.Backward(Tensor.Ones([2], device));
    Console.WriteLine($"2. vectors: z = {z}, x.Grad = {x.Grad}, y.Grad = {y.Grad}");
    Check(x.Grad!.ToArray().SequenceEqual([1f, 1f]), "x.Grad should be [1, 1]");

    // 3. A broadcast's gradient is a sum: the bias is used by every row.
    var rows = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], [2, 3], device);
    var bias = Tensor.FromArray([0.1f, 0.2f, 0.3f], [3], device, requiresGrad: true);
    (rows + bias).Sum().Backward();
    Console.WriteLine($"3. broadcast: bias.Grad = {bias.Grad}");
    Check(bias.Grad!.ToArray().SequenceEqual([2f, 2f, 2f]), "bias.Grad should be [2, 2, 2]");
}

// 4. An MLP learns two half moons.
var moons = Datasets.Moons(200, noise: 0.1, seed: 1);
using var model = new Mlp(2, [16, 16], 2, device: device, seed: 1);
using var optimizer = new Adam(model.Parameters(), lr: 0.02f);
float loss = 0;
for (int step = 0; step < 200; step++)
{
    using var scope = Tensor.Scope(); // frees the step's activations and graph
    var batchLoss = Functional.CrossEntropy(model.Forward(moons.ToTensor(device)), moons.Labels);
    optimizer.ZeroGrad();
    batchLoss.Backward();
    optimizer.Step();
    loss = batchLoss.Item();
}
int[] predicted;
using (Tensor.Scope())
using (Autograd.NoGrad())
{
    predicted = model.Forward(moons.ToTensor(device)).ArgMaxIndices(1);
}
double accuracy = predicted.Zip(moons.Labels).Count(p => p.First == p.Second) / (double)moons.Count;
Console.WriteLine($"4. mlp: loss {loss:0.0000}, training accuracy {accuracy:P1}");
Check(accuracy >= 0.95, "the MLP should fit the moons");
Console.WriteLine("walkthrough: done");

static void Check(bool condition, string what)
{
    if (!condition)
    {
        Console.Error.WriteLine($"walkthrough: {what}");
        Environment.Exit(1);
    }
}
