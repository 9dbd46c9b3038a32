using System.Collections;

namespace MicrogradPlus.Data;

/// <summary>
/// One mini-batch: <see cref="Count"/> samples, their features row-major in <see cref="X"/> (Count × features) and
/// their labels in <see cref="Y"/>. The arrays are fresh for every batch, so keeping one is safe.
/// </summary>
public readonly record struct Batch(float[] X, int[] Y, int Count)
{
    /// <summary>Floats per sample.</summary>
    public int Features => Count == 0 ? 0 : X.Length / Count;

    /// <summary>The features as a float32 tensor of shape [Count, Features].</summary>
    /// <param name="device">Where the tensor goes; null for <see cref="Device.Default"/>.</param>
    /// <returns>A new float32 tensor [Count, Features].</returns>
    public Tensor ToTensor(Device? device = null) => Tensor.FromArray(X, [Count, Features], device);

    /// <summary>The labels as a float32 tensor of shape [Count].</summary>
    /// <param name="device">Where the tensor goes; null for <see cref="Device.Default"/>.</param>
    /// <returns>A new float32 tensor [Count].</returns>
    public Tensor LabelsToTensor(Device? device = null) =>
        Tensor.FromArray(Array.ConvertAll(Y, y => (float)y), [Count], device);
}

/// <summary>
/// Mini-batches over a <see cref="Dataset"/>, like PyTorch's DataLoader without workers: each enumeration is one
/// epoch that visits every sample once (all but the last partial batch with <see cref="DropLast"/>), in a new
/// order per epoch when shuffling. The order of epoch e depends only on the seed and e, so runs are reproducible.
/// <code>foreach (var (x, y, count) in loader) { ... }</code>
/// </summary>
public sealed class DataLoader : IEnumerable<Batch>
{
    private readonly int _seed;
    private int _epoch;

    /// <summary>A loader over <paramref name="dataset"/> in batches of <paramref name="batchSize"/>.</summary>
    /// <param name="dataset">The samples.</param>
    /// <param name="batchSize">Samples per batch; the last batch may be smaller.</param>
    /// <param name="shuffle">Shuffle the order anew each epoch (seeded by <paramref name="seed"/> and the epoch).</param>
    /// <param name="dropLast">Drop a last batch smaller than <paramref name="batchSize"/>.</param>
    /// <param name="seed">The shuffle's seed.</param>
    /// <example>
    /// <code>
    /// var loader = new DataLoader(train, batchSize: 64, seed: 1);
    /// foreach (var batch in loader) // one epoch
    /// {
    ///     using var step = Tensor.Scope();
    ///     var loss = Functional.CrossEntropy(model.Forward(batch.ToTensor(device)), batch.Y);
    ///     // ZeroGrad, Backward, Step
    /// }
    /// </code>
    /// </example>
    public DataLoader(Dataset dataset, int batchSize, bool shuffle = true, bool dropLast = false, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        Dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        _seed = seed;
    }

    /// <summary>The data set batched.</summary>
    public Dataset Dataset { get; }

    /// <summary>Samples per batch (the last one may have fewer unless <see cref="DropLast"/>).</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch visits the samples in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether a last batch smaller than <see cref="BatchSize"/> is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>The epoch the next enumeration runs (0 first; each one moves it on). Settable to resume.</summary>
    public int Epoch
    {
        get => _epoch;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _epoch = value;
        }
    }

    /// <summary>Batches per epoch.</summary>
    public int BatchCount => DropLast ? Dataset.Count / BatchSize : (Dataset.Count + BatchSize - 1) / BatchSize;

    /// <summary>Starts the next epoch.</summary>
    /// <returns>An enumerator over this epoch's batches.</returns>
    public IEnumerator<Batch> GetEnumerator() => Batches(_epoch++);

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The next epoch as tensors on <paramref name="device"/>: features [n, Features], labels.</summary>
    /// <param name="device">Where the feature tensors go; null for <see cref="Device.Default"/>.</param>
    /// <returns>Each batch's features as a float32 tensor [n, Features] and its labels as a host array.</returns>
    public IEnumerable<(Tensor X, int[] Y)> Tensors(Device? device = null)
    {
        foreach (var batch in this)
        {
            yield return (batch.ToTensor(device), batch.Y);
        }
    }

    private IEnumerator<Batch> Batches(int epoch)
    {
        int n = Dataset.Count;
        int features = Dataset.Features;
        int[] order = Shuffle ? new SeededRandom(_seed, epoch + 1).Permutation(n) : [.. Enumerable.Range(0, n)];
        for (int start = 0; start < n; start += BatchSize)
        {
            int count = Math.Min(BatchSize, n - start);
            if (count < BatchSize && DropLast)
            {
                yield break;
            }
            var x = new float[count * features];
            var y = new int[count];
            for (int i = 0; i < count; i++)
            {
                int sample = order[start + i];
                Dataset.Data.AsSpan(sample * features, features).CopyTo(x.AsSpan(i * features));
                y[i] = Dataset.Labels[sample];
            }
            yield return new Batch(x, y, count);
        }
    }
}
