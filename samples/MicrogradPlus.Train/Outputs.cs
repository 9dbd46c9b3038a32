using MicrogradPlus.Data;
using MicrogradPlus.Nn;

namespace MicrogradPlus.Train;

/// <summary>The files the main job writes, and the check that it can write them before it trains.</summary>
internal static class Outputs
{
    /// <summary>
    /// Creates <paramref name="folder"/> if needed and writes and deletes a probe file in it. Returns null when that
    /// worked, else what went wrong in a few words.
    /// </summary>
    public static string? CheckWritable(string folder)
    {
        try
        {
            if (File.Exists(folder))
            {
                return "is a file, not a folder";
            }
            Directory.CreateDirectory(folder);
            string probe = Path.Combine(folder, $".write-check-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or
            ArgumentException)
        {
            return $"cannot write there ({e.Message.ReplaceLineEndings(" ")})";
        }
    }

    /// <summary>Writes loss.png, decision_boundary.png (2-D data), model.safetensors, model.onnx and graph.dot.</summary>
    public static List<string> Write(Options options, Mlp model, Dataset train, Dataset test, History history,
        int[] hidden, int batchSize, Device device)
    {
        var written = new List<string>();
        string lossPng = Path.Combine(options.Out, "loss.png");
        Plots.LossCurves(history, options.Dataset, lossPng);
        written.Add(lossPng);
        if (train.Features == 2)
        {
            string boundaryPng = Path.Combine(options.Out, "decision_boundary.png");
            Plots.DecisionBoundary(model, train, test, device, boundaryPng);
            written.Add(boundaryPng);
        }
        string weights = Path.Combine(options.Out, "model.safetensors");
        Safetensors.Save(weights, model.StateDict(), new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["model"] = $"Mlp({train.Features}, [{string.Join(", ", hidden)}], {train.Classes}, {options.Activation})",
            ["dataset"] = train.Name,
        });
        written.Add(weights);
        string onnx = Path.Combine(options.Out, "model.onnx");
        Onnx.Export(model, [1, train.Features], onnx); // batch dimension dynamic: serve it with ONNX Runtime
        written.Add(onnx);
        string dot = Path.Combine(options.Out, "graph.dot");
        File.WriteAllText(dot, Experiment.OneStepGraph(model, train, Math.Min(batchSize, 8), device));
        written.Add(dot);
        return written;
    }
}
