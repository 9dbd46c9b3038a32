using MicrogradPlus.Data;

namespace MicrogradPlus.Train;

/// <summary>
/// The datasets the main job trains on: how each is made, split into training and test sets, and the settings that
/// train it well. One row per dataset; a command-line option overrides a row's setting.
/// </summary>
internal static class DatasetTable
{
    /// <summary>A dataset of the main job and its defaults.</summary>
    /// <param name="Name">The --dataset value.</param>
    /// <param name="Load">Training and test sets for a seed, features scaled to about unit range.</param>
    /// <param name="Hidden">Hidden layer widths.</param>
    /// <param name="Epochs">Passes over the training set.</param>
    /// <param name="Batch">Batch size.</param>
    /// <param name="LearningRate">Adam's (and AdamW's) learning rate; SGD with momentum takes 10× this.</param>
    internal sealed record Row(string Name, Func<int, (Dataset Train, Dataset Test)> Load, int[] Hidden, int Epochs,
        int Batch, float LearningRate);

    // Test sets come from the same distribution as the training set: the 2-D sets draw a second sample with another
    // seed (their shapes are fixed); blobs draws its centres from the seed, so it is drawn once and split.
    public static readonly Row[] Rows =
    [
        new("moons", seed => (Datasets.Moons(200, 0.1, seed), Datasets.Moons(200, 0.1, seed + 1000)),
            [16, 16], Epochs: 150, Batch: 64, LearningRate: 0.01f),
        new("circles", seed => (Datasets.Circles(200, 0.05, 0.5, seed), Datasets.Circles(200, 0.05, 0.5, seed + 1000)),
            [16, 16], Epochs: 150, Batch: 64, LearningRate: 0.01f),
        new("spiral", seed => (Datasets.Spiral(300, 3, 0.2, seed), Datasets.Spiral(300, 3, 0.2, seed + 1000)),
            [32, 32], Epochs: 200, Batch: 64, LearningRate: 0.01f),
        new("blobs", seed => Datasets.Blobs(600, 3, 2, 1.0, seed).Split(0.5, seed, stratify: true),
            [16, 16], Epochs: 60, Batch: 64, LearningRate: 0.01f),
        new("digits", seed => Digits.Load().Scale(1f / Digits.MaxPixel).Split(0.2, seed, stratify: true),
            [64], Epochs: 40, Batch: 128, LearningRate: 0.01f),
    ];

    /// <summary>The row named <paramref name="name"/> (one of <see cref="Names"/>).</summary>
    public static Row Get(string name) => Rows.Single(r => r.Name == name);

    /// <summary>Every dataset's name.</summary>
    public static string[] Names => [.. Rows.Select(r => r.Name)];
}
