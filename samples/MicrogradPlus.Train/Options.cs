using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace MicrogradPlus.Train;

/// <summary>Command-line options of the training sample; null settings take the dataset's default.</summary>
internal sealed record Options
{
    public string Dataset { get; init; } = "moons";
    public string Device { get; init; } = "auto";
    public int[]? Hidden { get; init; }
    public int? Epochs { get; init; }
    public int? Batch { get; init; }
    public float? LearningRate { get; init; }
    public string Optimizer { get; init; } = "adam";
    public string Activation { get; init; } = "relu";
    public int Seed { get; init; } = 1;
    public string Out { get; init; } = "out";

    /// <summary>
    /// Parses <paramref name="args"/> (System.CommandLine: <c>--name value</c> or <c>--name=value</c>,
    /// <c>--help</c>, <c>--version</c>). Returns the options to train with, or null with <paramref name="exitCode"/>
    /// set: 0 after --help or --version, 2 after an error, reported on one line of standard error.
    /// </summary>
    public static Options? Parse(string[] args, out int exitCode)
    {
        var dataset = Choice("--dataset", "moons", "the dataset", DatasetTable.Names);
        var device = Choice("--device", "auto", "auto: CUDA > OpenCL > CPU, or MICROGRAD_DEVICE", "auto", "cpu", "cuda",
            "opencl");
        var hidden = Parsed<int[]?>("--hidden", "hidden layer widths, e.g. 16,16 (default: the dataset's)",
            "comma-separated positive integers", text =>
            {
                var widths = text.Split(',').Select(w => PositiveInt(w.Trim())).ToArray();
                return widths.All(w => w is not null) ? [.. widths.Select(w => w!.Value)] : null;
            });
        var activation = Choice("--activation", "relu", "hidden activation", "relu", "tanh", "sigmoid", "gelu",
            "leakyrelu", "silu");
        var epochs = Parsed("--epochs", "passes over the training set (default: the dataset's)", "a positive integer",
            PositiveInt);
        var batch = Parsed("--batch", "batch size (default: the dataset's)", "a positive integer", PositiveInt);
        var lr = Parsed<float?>("--lr", "learning rate (default: the dataset's; 10× for sgd)", "a positive number",
            text => float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float x) && x > 0 &&
                float.IsFinite(x) ? x : null);
        var optimizer = Choice("--optimizer", "adam", "the optimizer", "sgd", "adam", "adamw");
        var seed = Parsed<int?>("--seed", "seed for data, weights and shuffling (default 1)", "a non-negative integer",
            text => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : null);
        var output = Parsed<string?>("--out", "output folder (default out)", "a folder name",
            text => text.Length > 0 ? text : null);
        var root = new RootCommand("Trains a small MLP with MicrogradPlus and writes loss.png, decision_boundary.png " +
            "(2-D datasets), model.safetensors, model.onnx and graph.dot to --out.")
        {
            dataset, device, hidden, activation, epochs, batch, lr, optimizer, seed, output,
        };

        var result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            Console.Error.WriteLine($"error: {result.Errors[0].Message} (--help lists the options)");
            exitCode = 2;
            return null;
        }
        if (result.Action is not null) // --help or --version: the root command itself has no action
        {
            exitCode = result.Invoke();
            return null;
        }
        exitCode = 0;
        return new Options
        {
            Dataset = result.GetValue(dataset)!,
            Device = result.GetValue(device)!,
            Hidden = result.GetValue(hidden) is { Length: > 0 } widths ? widths : null, // absent: empty, not null
            Activation = result.GetValue(activation)!,
            Epochs = result.GetValue(epochs),
            Batch = result.GetValue(batch),
            LearningRate = result.GetValue(lr),
            Optimizer = result.GetValue(optimizer)!,
            Seed = result.GetValue(seed) ?? 1,
            Out = result.GetValue(output) ?? "out",
        };
    }

    private static int? PositiveInt(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : null;

    /// <summary>An option with one value, parsed by <paramref name="parse"/> (null: not valid).</summary>
    private static Option<T> Parsed<T>(string name, string description, string expected, Func<string, T> parse) =>
        new(name)
        {
            Description = description,
            CustomParser = argument =>
            {
                string text = argument.Tokens.Count == 1 ? argument.Tokens[0].Value : "";
                T value = parse(text);
                if (value is null)
                {
                    argument.AddError($"{name} needs {expected}, got '{text}'");
                }
                return value;
            },
        };

    /// <summary>An option that takes one of <paramref name="allowed"/> (any case).</summary>
    private static Option<string> Choice(string name, string fallback, string description, params string[] allowed) =>
        new(name)
        {
            Description = $"{description}: {string.Join(" | ", allowed)}",
            DefaultValueFactory = _ => fallback,
            CustomParser = argument =>
            {
                string text = argument.Tokens.Count == 1 ? argument.Tokens[0].Value : "";
                string value = text.ToLowerInvariant();
                if (!allowed.Contains(value))
                {
                    argument.AddError($"{name} must be one of {string.Join(", ", allowed)}; got '{text}'");
                }
                return value;
            },
        };
}
