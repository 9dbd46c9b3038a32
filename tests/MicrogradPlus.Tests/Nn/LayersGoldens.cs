using System.Text.Json;
using MicrogradPlus.Tests.Infrastructure;

namespace MicrogradPlus.Tests.Nn;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// tests/goldens/layers_goldens.json (tests/goldens/generate_layers_goldens.py, torch 1.13) and the comparisons the
/// layer, init and clipping tests share.
/// </summary>
internal static class LayersGoldens
{
    private static readonly Lazy<JsonDocument> Document = new(() => Goldens.Load("layers_goldens.json"));

    /// <summary>The cases of one section, checked to be all there (a truncated file fails loudly).</summary>
    public static JsonElement[] Section(string name, int atLeast)
    {
        var cases = Document.Value.RootElement.GetProperty(name).EnumerateArray().ToArray();
        if (cases.Length < atLeast)
        {
            throw new InvalidOperationException(
                $"layers_goldens.json holds {cases.Length} '{name}' cases, expected at least {atLeast}");
        }
        return cases;
    }

    /// <summary>A {shape, data} object as a tensor.</summary>
    public static Tensor Tensor(JsonElement json, Device device, DType dtype = DType.Float32,
        bool requiresGrad = false)
    {
        int[] shape = [.. json.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32())];
        double[] values = Values(json);
        return dtype == DType.Float64
            ? MicrogradPlus.Tensor.FromArray(values, shape, device, requiresGrad)
            : MicrogradPlus.Tensor.FromArray(Array.ConvertAll(values, v => (float)v), shape, device, requiresGrad);
    }

    /// <summary>The "data" of a {shape, data} object.</summary>
    public static double[] Values(JsonElement json) =>
        [.. json.GetProperty("data").EnumerateArray().Select(v => v.GetDouble())];

    /// <summary>A JSON array of ints.</summary>
    public static int[] Ints(JsonElement array) => [.. array.EnumerateArray().Select(v => v.GetInt32())];

    /// <summary>Adds a line to <paramref name="failures"/> for each element off by more than atol + rtol·|expected|.</summary>
    public static void Expect(List<string> failures, string what, double[] expected, double[] actual, double rtol,
        double atol)
    {
        if (expected.Length != actual.Length)
        {
            failures.Add($"{what}: {actual.Length} values, expected {expected.Length}");
            return;
        }
        for (int i = 0; i < expected.Length; i++)
        {
            if (!(Math.Abs(expected[i] - actual[i]) <= atol + rtol * Math.Abs(expected[i])))
            {
                failures.Add($"{what}[{i}]: {actual[i]:R}, expected {expected[i]:R}");
            }
        }
    }
}
