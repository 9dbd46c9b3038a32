using System.Diagnostics;
using System.Globalization;
using MicrogradPlus;
using MicrogradPlus.Data;
using MicrogradPlus.Nn;
using MicrogradPlus.Optim;
using MicrogradPlus.Train;
using Spectre.Console;

// Every user mistake and I/O failure ends here with one line on standard error and exit code 2 (1 for a failure
// while training or writing), before any training where it can be known before.
var options = Options.Parse(args, out int exitCode);
if (options is null)
{
    return exitCode;
}
if (Outputs.CheckWritable(options.Out) is { } notWritable)
{
    Console.Error.WriteLine($"error: --out {options.Out}: {notWritable}");
    return 2;
}

Device device;
string why;
try
{
    device = options.Device == "auto" ? Device.Default : Device.Parse(options.Device);
    why = options.Device == "auto" ? Device.DefaultReason : $"--device {options.Device}";
}
catch (Exception e) when (e is InvalidOperationException or ArgumentException)
{
    Console.Error.WriteLine($"error: {e.Message.ReplaceLineEndings(" ")}");
    return 2;
}
// Plain lines (never wrapped by the library): a terminal wraps them at its width, a log keeps them whole.
Console.WriteLine($"device: {device.Describe()}, chosen by {why}");

var row = DatasetTable.Get(options.Dataset);
var (train, test) = row.Load(options.Seed);
int[] hidden = options.Hidden ?? row.Hidden;
int epochs = options.Epochs ?? row.Epochs;
int batchSize = Math.Min(options.Batch ?? row.Batch, train.Count);
float lr = options.LearningRate ?? (options.Optimizer == "sgd" ? 10 * row.LearningRate : row.LearningRate);
Console.WriteLine($"data:   {train.Name}: {train.Count} train / {test.Count} test, {train.Features} features, " +
    $"{train.Classes} classes");

Tensor.ManualSeed((ulong)options.Seed);
using var model = new Mlp(train.Features, hidden, train.Classes, Experiment.ActivationOf(options.Activation),
    device, seed: (ulong)options.Seed);
using Optimizer optimizer = options.Optimizer switch
{
    "sgd" => new Sgd(model.Parameters(), lr, momentum: 0.9f),
    "adamw" => new AdamW(model.Parameters(), lr),
    _ => new Adam(model.Parameters(), lr),
};
var schedule = new CosineSchedule(optimizer, epochs, lr * 0.05f);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"model:  Mlp {train.Features}→{string.Join("→", hidden)}→{train.Classes} ({options.Activation}), " +
    $"{model.Parameters().Sum(p => p.Size)} parameters; {options.Optimizer} lr {lr}, cosine schedule, " +
    $"{epochs} epochs, batch {batchSize}"));

var loader = new DataLoader(train, batchSize, shuffle: true, seed: options.Seed);
var history = new History();
// The first epoch compiles every kernel it meets (on CUDA about 0.3 s for the first, tens of ms for each after it), so
// the speed is measured over the epochs after it; the first epoch's time is reported on its own.
long steps = 0;
long launches = 0, reads = 0, writes = 0; // device work inside the timed training steps
var trainingTime = TimeSpan.Zero;
var firstEpoch = TimeSpan.Zero;
void TrainEpochs(Action<int, string> report)
{
    for (int epoch = 1; epoch <= epochs; epoch++)
    {
        bool timed = epoch > 1 || epochs == 1;
        var epochClock = Stopwatch.StartNew();
        var (launchesBefore, readsBefore, writesBefore) = (device.Launches, device.HostReads, device.HostWrites);
        long epochSteps = 0;
        foreach (var batch in loader)
        {
            using var step = Tensor.Scope();
            var x = batch.ToTensor(device);
            var loss = Functional.CrossEntropy(model.Forward(x), batch.Y);
            loss.Backward();
            optimizer.Step();
            optimizer.ZeroGrad();
            epochSteps++;
        }
        device.Synchronize();
        epochClock.Stop();
        if (epoch == 1)
        {
            firstEpoch = epochClock.Elapsed;
        }
        if (timed)
        {
            trainingTime += epochClock.Elapsed;
            steps += epochSteps;
            launches += device.Launches - launchesBefore;
            reads += device.HostReads - readsBefore;
            writes += device.HostWrites - writesBefore;
        }
        schedule.Step();
        var trainMetrics = Experiment.Evaluate(model, train, device);
        var testMetrics = Experiment.Evaluate(model, test, device);
        history.Add(epoch, trainMetrics, testMetrics);
        report(epoch, string.Create(CultureInfo.InvariantCulture,
            $"epoch {epoch,4}  loss {trainMetrics.Loss:0.0000}  acc {trainMetrics.Accuracy:P1}  " +
            $"test acc {testMetrics.Accuracy:P1}"));
    }
}

try
{
    if (Console.IsOutputRedirected)
    {
        // A log or a pipe: a plain line every tenth of the run instead of a live bar.
        int every = Math.Max(1, epochs / 10);
        TrainEpochs((epoch, line) =>
        {
            if (epoch % every == 0 || epoch == 1 || epoch == epochs)
            {
                Console.WriteLine(line);
            }
        });
    }
    else
    {
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("training", maxValue: epochs);
                TrainEpochs((_, line) =>
                {
                    task.Description = line;
                    task.Increment(1);
                });
            });
    }
}
catch (Exception e) when (e is InvalidOperationException or OutOfMemoryException)
{
    Console.Error.WriteLine($"error: training failed on {device}: {e.Message.ReplaceLineEndings(" ")}");
    return 1;
}

var (finalTrainLoss, finalTrainAccuracy) = Experiment.Evaluate(model, train, device);
var (testLoss, testAccuracy) = Experiment.Evaluate(model, test, device);
double stepsPerSecond = steps / trainingTime.TotalSeconds;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"result: train accuracy {finalTrainAccuracy:P2} (loss {finalTrainLoss:0.0000}), test accuracy {testAccuracy:P2} " +
    $"(loss {testLoss:0.0000})"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"speed:  {steps} steps in {trainingTime.TotalSeconds:0.00} s = {stepsPerSecond:0} steps/s on {device}" +
    $"{(epochs > 1 ? $" after the first epoch ({firstEpoch.TotalSeconds:0.00} s, kernels compiled)" : "")}; per step " +
    $"{(double)launches / steps:0.#} launches, {(double)writes / steps:0.#} uploads, {(double)reads / steps:0.#} reads"));

try
{
    var written = Outputs.Write(options, model, train, test, history, hidden, batchSize, device);
    Console.WriteLine($"wrote:  {string.Join(", ", written)}");
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"error: writing to {options.Out} failed: {e.Message.ReplaceLineEndings(" ")}");
    return 1;
}
return 0;
