using MicrogradPlus.Data;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Data;

using Tensor = MicrogradPlus.Tensor;

public class DataLoaderTests
{
    [Fact]
    public void Every_sample_comes_once_per_epoch_with_its_label()
    {
        var data = DatasetTests.Indexed(10, classes: 3);
        var loader = new DataLoader(data, batchSize: 4, seed: 1);
        Assert.Equal(3, loader.BatchCount);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var batches = loader.ToList();
            Assert.Equal([4, 4, 2], batches.Select(b => b.Count));
            var samples = batches.SelectMany(b => b.X).Select(v => (int)v).ToList();
            Assert.Equal(Enumerable.Range(0, 10), samples.Order());
            foreach (var (x, y, count) in batches)
            {
                Assert.Equal(count, y.Length);
                for (int i = 0; i < count; i++)
                {
                    Assert.Equal((int)x[i] % 3, y[i]);
                }
            }
        }
        Assert.Equal(3, loader.Epoch);
    }

    [Fact]
    public void Shuffling_changes_the_order_between_epochs_and_repeats_per_seed()
    {
        var data = DatasetTests.Indexed(50, classes: 2);
        var loader = new DataLoader(data, batchSize: 50, seed: 9);
        var first = loader.Single().X;
        var second = loader.Single().X;
        Assert.NotEqual(first, second);
        Assert.NotEqual(data.Data, first);

        var again = new DataLoader(data, batchSize: 50, seed: 9);
        Assert.Equal(first, again.Single().X);
        Assert.Equal(second, again.Single().X);
        again.Epoch = 1;
        Assert.Equal(second, again.Single().X);
        Assert.NotEqual(first, new DataLoader(data, batchSize: 50, seed: 10).Single().X);
    }

    [Fact]
    public void Without_shuffle_order_is_kept_and_drop_last_skips_the_partial_batch()
    {
        var data = DatasetTests.Indexed(10, classes: 2);
        var ordered = new DataLoader(data, batchSize: 4, shuffle: false);
        Assert.Equal(data.Data, ordered.SelectMany(b => b.X));

        var dropping = new DataLoader(data, batchSize: 4, shuffle: false, dropLast: true);
        Assert.Equal(2, dropping.BatchCount);
        Assert.Equal([4, 4], dropping.Select(b => b.Count));
        Assert.Equal(data.Data[..8], dropping.SelectMany(b => b.X));

        Assert.Empty(new DataLoader(data, batchSize: 11, dropLast: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(data, batchSize: 0));
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Batches_become_tensors_on_the_device(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var tensors = Tensor.Scope();
        var moons = Datasets.Moons(10, 0.1, seed: 0);
        var loader = new DataLoader(moons, batchSize: 4, seed: 2);
        var shapes = new List<int[]>();
        foreach (var (x, y) in loader.Tensors(scope.Device))
        {
            Assert.Same(scope.Device, x.Device);
            Assert.Equal(y.Length, x.Shape[0]);
            shapes.Add(x.Shape);
        }
        Assert.Equal([[4, 2], [4, 2], [2, 2]], shapes);
        var batch = new DataLoader(moons, batchSize: 3, shuffle: false).First();
        Assert.Equal(moons.Data[..6], batch.ToTensor(scope.Device).ToArray());
        Assert.Equal(2, batch.Features);
    }
}
