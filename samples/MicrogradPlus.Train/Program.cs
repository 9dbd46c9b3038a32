using System.Diagnostics;
using System.Globalization;
using MicrogradPlus;
using MicrogradPlus.Data;
using MicrogradPlus.Nn;
using MicrogradPlus.Optim;
using MicrogradPlus.Train;
using Spectre.Console;

Options options;
try
{
    options = Options.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}\n");
    Console.Error.WriteLine(Options.Usage);
    return 2;
}
if (options.Help)
{
    Console.WriteLine(Options.Usage);
    return 0;
}

if (Console.IsOutputRedirected)
{
    // Logs (CI, files) keep each result on one line instead of Spectre's 80-column wrap.
    AnsiConsole.Profile.Width = 200;
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
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
AnsiConsole.MarkupLine($"device: [bold]{Markup.Escape(device.Describe())}[/]");
AnsiConsole.MarkupLine($"        chosen by {Markup.Escape(why)}");

var (train, test) = Experiment.LoadData(options);
bool digits = options.Dataset == "digits";
int epochs = options.Epochs ?? (digits ? 40 : 150);
int batchSize = Math.Min(options.Batch ?? (digits ? 128 : 64), train.Count);
float lr = options.LearningRate ?? (options.Optimizer == "sgd" ? 0.1f : 0.01f);
AnsiConsole.MarkupLine(Markup.Escape(
    $"data:   {train.Name}: {train.Count} train / {test.Count} test, {train.Features} features, {train.Classes} classes"));

Tensor.ManualSeed((ulong)options.Seed);
using var model = new Mlp(train.Features, options.Hidden, train.Classes, Experiment.ActivationOf(options.Activation),
    device, seed: (ulong)options.Seed);
using Optimizer optimizer = options.Optimizer switch
{
    "sgd" => new Sgd(model.Parameters(), lr, momentum: 0.9f),
    "adamw" => new AdamW(model.Parameters(), lr),
    _ => new Adam(model.Parameters(), lr),
};
var schedule = new CosineSchedule(optimizer, epochs, lr * 0.05f);
AnsiConsole.MarkupLine(Markup.Escape(
    $"model:  Mlp {train.Features}→{string.Join("→", options.Hidden)}→{train.Classes} ({options.Activation}), " +
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
AnsiConsole.Progress()
    .AutoClear(false)
    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
    .Start(context =>
    {
        var task = context.AddTask("training", maxValue: epochs);
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
            var (trainLoss, trainAccuracy) = Experiment.Evaluate(model, train, device);
            history.Add(epoch, trainLoss, trainAccuracy);
            task.Description = string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch,4}  loss {trainLoss:0.0000}  acc {trainAccuracy:P1}");
            task.Increment(1);
        }
    });

var (finalTrainLoss, finalTrainAccuracy) = Experiment.Evaluate(model, train, device);
var (testLoss, testAccuracy) = Experiment.Evaluate(model, test, device);
double stepsPerSecond = steps / trainingTime.TotalSeconds;
AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
    $"result: train accuracy {finalTrainAccuracy:P2} (loss {finalTrainLoss:0.0000}), test accuracy {testAccuracy:P2} " +
    $"(loss {testLoss:0.0000})")));
AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
    $"speed:  {steps} steps in {trainingTime.TotalSeconds:0.00} s = {stepsPerSecond:0} steps/s on {device}" +
    $"{(epochs > 1 ? $" after the first epoch ({firstEpoch.TotalSeconds:0.00} s, kernels compiled)" : "")}; per step " +
    $"{(double)launches / steps:0.#} launches, {(double)writes / steps:0.#} uploads, {(double)reads / steps:0.#} reads")));

Directory.CreateDirectory(options.Out);
var written = new List<string>();
string lossPng = Path.Combine(options.Out, "loss.png");
Plots.LossCurves(history, train.Name, lossPng);
written.Add(lossPng);
if (train.Features == 2)
{
    string boundaryPng = Path.Combine(options.Out, "decision_boundary.png");
    Plots.DecisionBoundary(model, train, device, boundaryPng);
    written.Add(boundaryPng);
}
string weights = Path.Combine(options.Out, "model.safetensors");
Safetensors.Save(weights, model.StateDict(), new Dictionary<string, string>
{
    ["format"] = "pt",
    ["model"] = $"Mlp({train.Features}, [{string.Join(", ", options.Hidden)}], {train.Classes}, {options.Activation})",
    ["dataset"] = train.Name,
});
written.Add(weights);
string dot = Path.Combine(options.Out, "graph.dot");
File.WriteAllText(dot, Experiment.OneStepGraph(model, train, Math.Min(batchSize, 8), device));
written.Add(dot);
AnsiConsole.MarkupLine(Markup.Escape($"wrote:  {string.Join(", ", written)}"));
return 0;

