// The install path users take, tested by .ci/run: this app lives outside the repository, gets MicrogradPlus from a
// package feed, trains a small MLP on the digits that ship inside the package and checks the held-out accuracy.
using MicrogradPlus;
using MicrogradPlus.Data;
using MicrogradPlus.Nn;
using MicrogradPlus.Optim;

var device = Device.Cpu;
var (train, test) = Digits.Load().Scale(1f / Digits.MaxPixel).Split(0.2, seed: 1, stratify: true);
using var model = new Mlp(Digits.Features, [32], Digits.Classes, device: device, seed: 1);
using var optimizer = new Adam(model.Parameters(), lr: 0.01f);
var loader = new DataLoader(train, batchSize: 64, seed: 1);
for (int epoch = 0; epoch < 15; epoch++)
{
    foreach (var batch in loader)
    {
        using var step = Tensor.Scope();
        var loss = Functional.CrossEntropy(model.Forward(batch.ToTensor(device)), batch.Y);
        optimizer.ZeroGrad();
        loss.Backward();
        optimizer.Step();
    }
}

int[] predicted;
using (Tensor.Scope())
using (Autograd.NoGrad())
{
    predicted = model.Forward(test.ToTensor(device)).ArgMaxIndices(1);
}
double accuracy = predicted.Zip(test.Labels).Count(p => p.First == p.Second) / (double)test.Count;
string version = typeof(Tensor).Assembly
    .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
    .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion;
Console.WriteLine($"consumer: MicrogradPlus {version} from the package; digits " +
    $"{train.Count} train / {test.Count} test; test accuracy {accuracy:P1}");
if (accuracy < 0.9)
{
    Console.Error.WriteLine("consumer: test accuracy below 90 %");
    return 1;
}
return 0;
