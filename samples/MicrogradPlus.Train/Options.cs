using System.Globalization;

namespace MicrogradPlus.Train;

/// <summary>Command-line options of the training sample.</summary>
internal sealed record Options
{
    public string Dataset { get; init; } = "moons";
    public string Device { get; init; } = "auto";
    public int[] Hidden { get; init; } = [16, 16];
    public int? Epochs { get; init; }
    public int? Batch { get; init; }
    public float? LearningRate { get; init; }
    public string Optimizer { get; init; } = "adam";
    public string Activation { get; init; } = "relu";
    public int Seed { get; init; } = 1;
    public string Out { get; init; } = "out";
    public bool Help { get; init; }

    public const string Usage = """
        Trains a small MLP with MicrogradPlus and writes loss.png, decision_boundary.png (2-D datasets),
        model.safetensors and graph.dot to --out.

        usage: MicrogradPlus.Train [options]
          --dataset NAME      moons | circles | spiral | blobs | digits          (default moons)
          --device NAME       auto | cpu | cuda | opencl  (auto: CUDA > OpenCL > CPU, or MICROGRAD_DEVICE)
          --hidden LIST       hidden layer widths, e.g. 16,16                   (default 16,16)
          --activation NAME   relu | tanh | sigmoid | gelu | leakyrelu | silu    (default relu)
          --epochs N          passes over the training set     (default 150; digits 40)
          --batch N           batch size                       (default 64; digits 128)
          --lr X              learning rate                    (default 0.01 adam/adamw, 0.1 sgd)
          --optimizer NAME    sgd | adam | adamw                                (default adam)
          --seed N            seed for data, weights and shuffling              (default 1)
          --out DIR           output folder                                     (default out)
          --help              this text
        """;

    /// <summary>Parses <paramref name="args"/>; throws <see cref="ArgumentException"/> with what was wrong.</summary>
    public static Options Parse(string[] args)
    {
        var options = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name is "--help" or "-h")
            {
                return options with { Help = true };
            }
            if (!name.StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"unexpected argument '{name}'");
            }
            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"{name} needs a value");
            }
            string value = args[++i];
            options = name switch
            {
                "--dataset" => options with { Dataset = OneOf(name, value, "moons", "circles", "spiral", "blobs", "digits") },
                "--device" => options with { Device = OneOf(name, value, "auto", "cpu", "cuda", "opencl") },
                "--hidden" => options with { Hidden = value.Split(',').Select(v => Positive(name, v)).ToArray() },
                "--activation" => options with
                {
                    Activation = OneOf(name, value, "relu", "tanh", "sigmoid", "gelu", "leakyrelu", "silu"),
                },
                "--epochs" => options with { Epochs = Positive(name, value) },
                "--batch" => options with { Batch = Positive(name, value) },
                "--lr" => options with { LearningRate = PositiveFloat(name, value) },
                "--optimizer" => options with { Optimizer = OneOf(name, value, "sgd", "adam", "adamw") },
                "--seed" => options with { Seed = NonNegative(name, value) },
                "--out" => options with { Out = value.Length > 0 ? value : throw new ArgumentException("--out is empty") },
                _ => throw new ArgumentException($"unknown option '{name}'"),
            };
        }
        return options;
    }

    private static string OneOf(string name, string value, params string[] allowed) =>
        allowed.Contains(value.ToLowerInvariant())
            ? value.ToLowerInvariant()
            : throw new ArgumentException($"{name} must be one of {string.Join(", ", allowed)}; got '{value}'");

    private static int Positive(string name, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0
            ? n
            : throw new ArgumentException($"{name} needs a positive integer, got '{value}'");

    private static int NonNegative(string name, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= 0
            ? n
            : throw new ArgumentException($"{name} needs a non-negative integer, got '{value}'");

    private static float PositiveFloat(string name, string value) =>
        float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out float x) && x > 0 && float.IsFinite(x)
            ? x
            : throw new ArgumentException($"{name} needs a positive number, got '{value}'");
}
