using System.Globalization;

namespace MicrogradPlus.Data;

/// <summary>
/// A labelled classification data set held on the host: <see cref="Count"/> samples of <see cref="Features"/> floats
/// each (row-major in <see cref="Data"/>) and an integer class label in [0, <see cref="Classes"/>) per sample.
/// Build one with <see cref="Datasets"/> or <see cref="Digits"/>, split it, batch it with <see cref="DataLoader"/>,
/// or move it to a device with <see cref="ToTensor"/>.
/// </summary>
public sealed record Dataset
{
    /// <summary>Wraps the arrays (not copied) after checking that they agree.</summary>
    /// <param name="name">The name shown in messages and <see cref="ToString"/>.</param>
    /// <param name="data">The features, row-major: <paramref name="features"/> floats per sample.</param>
    /// <param name="labels">One class label per sample, each in [0, <paramref name="classes"/>).</param>
    /// <param name="features">Floats per sample (positive).</param>
    /// <param name="classes">The number of classes (positive).</param>
    public Dataset(string name, float[] data, int[] labels, int features, int classes)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        if ((long)labels.Length * features != data.Length)
        {
            throw new ArgumentException(
                $"dataset '{name}': {data.Length} values are not {labels.Length} samples × {features} features",
                nameof(data));
        }
        int bad = Array.FindIndex(labels, y => y < 0 || y >= classes);
        if (bad >= 0)
        {
            throw new ArgumentException(
                $"dataset '{name}': label {labels[bad]} of sample {bad} is outside [0, {classes})", nameof(labels));
        }
        Name = name;
        Data = data;
        Labels = labels;
        Features = features;
        Classes = classes;
    }

    /// <summary>What the data set is ("moons", "digits", "digits/train", …).</summary>
    public string Name { get; init; }

    /// <summary>The features, row-major: sample i is <c>Data[i * Features .. (i + 1) * Features]</c>.</summary>
    public float[] Data { get; }

    /// <summary>The class of each sample, in [0, <see cref="Classes"/>).</summary>
    public int[] Labels { get; }

    /// <summary>Floats per sample.</summary>
    public int Features { get; }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>Number of samples.</summary>
    public int Count => Labels.Length;

    /// <summary>The features of sample <paramref name="index"/>.</summary>
    /// <param name="index">The sample's position, in [0, Count).</param>
    /// <returns>A view of the sample's <see cref="Features"/> floats (not copied).</returns>
    public ReadOnlySpan<float> Row(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return Data.AsSpan(index * Features, Features);
    }

    /// <summary>How many samples each class has.</summary>
    /// <returns>A new array with one count per class, indexed by label.</returns>
    public int[] ClassCounts()
    {
        var counts = new int[Classes];
        foreach (int y in Labels)
        {
            counts[y]++;
        }
        return counts;
    }

    /// <summary>The samples at <paramref name="indices"/>, in that order (copied).</summary>
    /// <param name="indices">Sample positions, each in [0, Count); repeats allowed.</param>
    /// <param name="name">The new set's name, or null to keep this one's.</param>
    /// <returns>A new dataset with one sample per index.</returns>
    public Dataset Subset(ReadOnlySpan<int> indices, string? name = null)
    {
        var data = new float[indices.Length * Features];
        var labels = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            Row(indices[i]).CopyTo(data.AsSpan(i * Features));
            labels[i] = Labels[indices[i]];
        }
        return new Dataset(name ?? Name, data, labels, Features, Classes);
    }

    /// <summary>
    /// A shuffled split into train and test sets, like scikit-learn's <c>train_test_split</c>: the test set gets
    /// ⌈testFraction · Count⌉ samples. With <paramref name="stratify"/>, each class is split in the same proportion
    /// (⌈testFraction · class count⌉ of it goes to the test set).
    /// </summary>
    /// <param name="testFraction">The share of samples that go to the test set, strictly between 0 and 1.</param>
    /// <param name="seed">The shuffle's seed.</param>
    /// <param name="stratify">Split each class in the same proportion.</param>
    /// <returns>The two sets, named after this one with <c>/train</c> and <c>/test</c>.</returns>
    public (Dataset Train, Dataset Test) Split(double testFraction, int seed, bool stratify = false)
    {
        if (!(testFraction > 0 && testFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction,
                "the test fraction must be strictly between 0 and 1");
        }
        var random = new SeededRandom(seed);
        var train = new List<int>(Count);
        var test = new List<int>(Count);
        if (stratify)
        {
            var byClass = new List<int>[Classes];
            for (int c = 0; c < Classes; c++)
            {
                byClass[c] = [];
            }
            for (int i = 0; i < Count; i++)
            {
                byClass[Labels[i]].Add(i);
            }
            foreach (var members in byClass)
            {
                var order = members.ToArray();
                random.Shuffle(order);
                int testCount = (int)Math.Ceiling(testFraction * order.Length);
                test.AddRange(order[..testCount]);
                train.AddRange(order[testCount..]);
            }
        }
        else
        {
            var order = random.Permutation(Count);
            int testCount = (int)Math.Ceiling(testFraction * Count);
            test.AddRange(order[..testCount]);
            train.AddRange(order[testCount..]);
        }
        var trainOrder = train.ToArray();
        var testOrder = test.ToArray();
        random.Shuffle(trainOrder);
        random.Shuffle(testOrder);
        return (Subset(trainOrder, Name + "/train"), Subset(testOrder, Name + "/test"));
    }

    /// <summary>A copy with every feature times <paramref name="factor"/> (e.g. 1/16 for digits' pixels).</summary>
    /// <param name="factor">The multiplier.</param>
    /// <returns>A new dataset; this one is unchanged.</returns>
    public Dataset Scale(float factor) =>
        new(Name, Array.ConvertAll(Data, v => v * factor), (int[])Labels.Clone(), Features, Classes);

    /// <summary>
    /// A copy with each feature standardised to mean 0 and standard deviation 1 using <paramref name="reference"/>'s
    /// statistics (this set's own when null) — pass the training set when standardising a test set. Constant
    /// features are only centred.
    /// </summary>
    /// <param name="reference">The set whose means and deviations to use, or null for this one.</param>
    /// <returns>A new dataset; this one is unchanged.</returns>
    public Dataset Standardize(Dataset? reference = null)
    {
        var source = reference ?? this;
        if (source.Features != Features)
        {
            throw new ArgumentException(
                $"reference '{source.Name}' has {source.Features} features, '{Name}' has {Features}",
                nameof(reference));
        }
        var mean = new double[Features];
        var scale = new double[Features];
        for (int i = 0; i < source.Count; i++)
        {
            for (int f = 0; f < Features; f++)
            {
                mean[f] += source.Data[i * Features + f];
            }
        }
        for (int f = 0; f < Features; f++)
        {
            mean[f] /= Math.Max(1, source.Count);
        }
        for (int i = 0; i < source.Count; i++)
        {
            for (int f = 0; f < Features; f++)
            {
                double d = source.Data[i * Features + f] - mean[f];
                scale[f] += d * d;
            }
        }
        for (int f = 0; f < Features; f++)
        {
            double std = Math.Sqrt(scale[f] / Math.Max(1, source.Count));
            scale[f] = std > 0 ? 1 / std : 1;
        }
        var data = new float[Data.Length];
        for (int i = 0; i < data.Length; i++)
        {
            int f = i % Features;
            data[i] = (float)((Data[i] - mean[f]) * scale[f]);
        }
        return new Dataset(Name, data, (int[])Labels.Clone(), Features, Classes);
    }

    /// <summary>The features as a float32 tensor of shape [Count, Features].</summary>
    /// <param name="device">Where the tensor goes; null for <see cref="Device.Default"/>.</param>
    /// <returns>A new float32 tensor [Count, Features].</returns>
    public Tensor ToTensor(Device? device = null) => Tensor.FromArray(Data, [Count, Features], device);

    /// <summary>The labels as a float32 tensor of shape [Count] (targets for binary losses).</summary>
    /// <param name="device">Where the tensor goes; null for <see cref="Device.Default"/>.</param>
    /// <returns>A new float32 tensor [Count].</returns>
    public Tensor LabelsToTensor(Device? device = null) =>
        Tensor.FromArray(Array.ConvertAll(Labels, y => (float)y), [Count], device);

    /// <summary>For example "moons: 200 samples × 2 features, 2 classes".</summary>
    /// <returns>The name, sample count, features and classes on one line.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Name}: {Count} samples × {Features} features, {Classes} classes");
}
