using MicrogradPlus.Data;
using Xunit;

namespace MicrogradPlus.Tests.Data;

using Tensor = MicrogradPlus.Tensor;

public class DatasetTests
{
    [Fact]
    public void Moons_have_shape_balance_and_determinism()
    {
        var moons = Datasets.Moons(200, noise: 0.1, seed: 3);
        Assert.Equal(200, moons.Count);
        Assert.Equal(2, moons.Features);
        Assert.Equal(2, moons.Classes);
        Assert.Equal(400, moons.Data.Length);
        Assert.Equal([100, 100], moons.ClassCounts());
        Assert.Equal(moons.Data, Datasets.Moons(200, noise: 0.1, seed: 3).Data);
        Assert.Equal(moons.Labels, Datasets.Moons(200, noise: 0.1, seed: 3).Labels);
        Assert.NotEqual(moons.Data, Datasets.Moons(200, noise: 0.1, seed: 4).Data);
        // sklearn: n_samples_out = n // 2 points in the outer (class 0) moon.
        Assert.Equal([50, 51], Datasets.Moons(101, 0, 0).ClassCounts());
    }

    [Fact]
    public void Noiseless_moons_lie_on_sklearns_half_circles()
    {
        var moons = Datasets.Moons(100, noise: 0, seed: 1);
        bool endpoint0 = false, endpoint1 = false;
        for (int i = 0; i < moons.Count; i++)
        {
            double x = moons.Row(i)[0], y = moons.Row(i)[1];
            if (moons.Labels[i] == 0)
            {
                // (cos t, sin t), t in [0, π]
                Assert.Equal(1, x * x + y * y, 5);
                Assert.True(y >= -1e-6);
                endpoint0 |= Math.Abs(x + 1) < 1e-6 && Math.Abs(y) < 1e-6;
            }
            else
            {
                // (1 − cos t, 1/2 − sin t)
                Assert.Equal(1, (x - 1) * (x - 1) + (y - 0.5) * (y - 0.5), 5);
                Assert.True(y <= 0.5 + 1e-6);
                endpoint1 |= Math.Abs(x - 2) < 1e-6 && Math.Abs(y - 0.5) < 1e-6;
            }
        }
        Assert.True(endpoint0 && endpoint1, "the arcs run from t = 0 to t = π inclusive, as numpy's linspace does");

        // With noise the points spread around the arcs by about the noise level.
        var noisy = Datasets.Moons(2000, noise: 0.1, seed: 1);
        double squared = 0;
        for (int i = 0; i < noisy.Count; i++)
        {
            double x = noisy.Row(i)[0], y = noisy.Row(i)[1];
            double r = noisy.Labels[i] == 0
                ? Math.Sqrt(x * x + y * y)
                : Math.Sqrt((x - 1) * (x - 1) + (y - 0.5) * (y - 0.5));
            squared += (r - 1) * (r - 1);
        }
        Assert.InRange(Math.Sqrt(squared / noisy.Count), 0.07, 0.13);
    }

    [Fact]
    public void Circles_have_radius_one_and_factor()
    {
        var circles = Datasets.Circles(101, noise: 0, factor: 0.3, seed: 2);
        Assert.Equal([50, 51], circles.ClassCounts());
        for (int i = 0; i < circles.Count; i++)
        {
            double x = circles.Row(i)[0], y = circles.Row(i)[1];
            Assert.Equal(circles.Labels[i] == 0 ? 1 : 0.3, Math.Sqrt(x * x + y * y), 5);
        }
        Assert.Equal(circles.Data, Datasets.Circles(101, 0, 0.3, 2).Data);
        Assert.Throws<ArgumentOutOfRangeException>(() => Datasets.Circles(10, 0, factor: 1, seed: 0));
    }

    [Fact]
    public void Spiral_arms_are_balanced_and_within_the_unit_disc()
    {
        var spiral = Datasets.Spiral(301, classes: 3, noise: 0.2, seed: 5);
        Assert.Equal(3, spiral.Classes);
        Assert.Equal([101, 100, 100], spiral.ClassCounts());
        for (int i = 0; i < spiral.Count; i++)
        {
            double x = spiral.Row(i)[0], y = spiral.Row(i)[1];
            Assert.InRange(Math.Sqrt(x * x + y * y), 0, 1 + 1e-6);
        }
        Assert.Equal(spiral.Data, Datasets.Spiral(301, 3, 0.2, 5).Data);
        Assert.NotEqual(spiral.Data, Datasets.Spiral(301, 3, 0.2, 6).Data);
    }

    [Fact]
    public void Blobs_cluster_around_centres_in_the_box()
    {
        var blobs = Datasets.Blobs(402, centers: 4, features: 3, std: 0.5, seed: 7);
        Assert.Equal(3, blobs.Features);
        Assert.Equal([101, 101, 100, 100], blobs.ClassCounts());
        for (int c = 0; c < 4; c++)
        {
            var rows = Enumerable.Range(0, blobs.Count).Where(i => blobs.Labels[i] == c).ToArray();
            for (int f = 0; f < 3; f++)
            {
                double mean = rows.Average(i => blobs.Row(i)[f]);
                double std = Math.Sqrt(rows.Average(i => Math.Pow(blobs.Row(i)[f] - mean, 2)));
                Assert.InRange(mean, -10.5, 10.5);
                Assert.InRange(std, 0.4, 0.6);
            }
        }
        Assert.Equal(blobs.Data, Datasets.Blobs(402, 4, 3, 0.5, 7).Data);
    }

    [Fact]
    public void Split_is_disjoint_complete_deterministic_and_optionally_stratified()
    {
        var data = Indexed(100, classes: 4);
        var (train, test) = data.Split(0.25, seed: 1);
        Assert.Equal(75, train.Count);
        Assert.Equal(25, test.Count);
        var seen = train.Data.Concat(test.Data).Select(v => (int)v).Order();
        Assert.Equal(Enumerable.Range(0, 100), seen);
        for (int i = 0; i < test.Count; i++)
        {
            Assert.Equal((int)test.Data[i] % 4, test.Labels[i]);
        }
        Assert.Equal(test.Data, data.Split(0.25, seed: 1).Test.Data);
        Assert.NotEqual(test.Data, data.Split(0.25, seed: 2).Test.Data);
        Assert.Equal(34, data.Split(0.333, seed: 0).Test.Count);

        var (strainTrain, stratifiedTest) = data.Split(0.2, seed: 3, stratify: true);
        Assert.Equal([5, 5, 5, 5], stratifiedTest.ClassCounts());
        Assert.Equal([20, 20, 20, 20], strainTrain.ClassCounts());
        Assert.Equal("indexed/test", stratifiedTest.Name);
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Split(1.0, 0));
    }

    [Fact]
    public void Dataset_checks_its_arrays_and_converts_to_tensors()
    {
        Assert.Throws<ArgumentException>(() => new Dataset("x", new float[5], new int[2], 2, 2));
        var error = Assert.Throws<ArgumentException>(() => new Dataset("x", new float[4], [0, 2], 2, 2));
        Assert.Contains("label 2 of sample 1", error.Message, StringComparison.Ordinal);

        using var tensors = Tensor.Scope();
        var moons = Datasets.Moons(6, 0.1, 0);
        var x = moons.ToTensor(Device.Cpu);
        Assert.Equal([6, 2], x.Shape);
        Assert.Equal(moons.Data, x.ToArray());
        Assert.Equal(Array.ConvertAll(moons.Labels, y => (float)y), moons.LabelsToTensor(Device.Cpu).ToArray());
        Assert.Equal("moons: 6 samples × 2 features, 2 classes", moons.ToString());
    }

    [Fact]
    public void Standardize_gives_zero_mean_unit_variance()
    {
        var blobs = Datasets.Blobs(200, 3, 2, 1.0, seed: 1).Standardize();
        for (int f = 0; f < 2; f++)
        {
            var column = Enumerable.Range(0, blobs.Count).Select(i => (double)blobs.Row(i)[f]).ToArray();
            Assert.Equal(0, column.Average(), 4);
            Assert.Equal(1, Math.Sqrt(column.Average(v => v * v)), 4);
        }
    }

    [Fact]
    public void Digits_load_with_sklearns_shape_labels_and_values()
    {
        var digits = Digits.Load();
        Assert.Equal(1797, digits.Count);
        Assert.Equal(64, digits.Features);
        Assert.Equal(10, digits.Classes);
        Assert.All(digits.Data, v => Assert.InRange(v, 0f, 16f));
        Assert.Equal([178, 182, 177, 183, 181, 182, 181, 179, 174, 180], digits.ClassCounts());
        // load_digits().images[0], a zero, and the second sample's label.
        float[] first =
        [
            0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0, 0, 8, 8, 0,
            0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6, 13, 10, 0, 0, 0,
        ];
        Assert.Equal(first, digits.Row(0).ToArray());
        Assert.Equal(0, digits.Labels[0]);
        Assert.Equal(1, digits.Labels[1]);
        Assert.Equal(1f, digits.Scale(1 / Digits.MaxPixel).Data.Max());
    }

    [Fact]
    public void Digits_report_where_they_looked_and_bad_lines()
    {
        string missing = Path.Combine(Path.GetTempPath(), "no-such-folder", "digits.csv.gz");
        var error = Assert.Throws<FileNotFoundException>(() => Digits.Load(missing));
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);

        var bad = Assert.Throws<InvalidDataException>(() =>
            Digits.Parse(new StringReader(string.Join(",", Enumerable.Repeat("0", 64)) + ",3\n1,2\n"), "test"));
        Assert.Contains("test line 2: 2 fields", bad.Message, StringComparison.Ordinal);
        bad = Assert.Throws<InvalidDataException>(() =>
            Digits.Parse(new StringReader(string.Join(",", Enumerable.Repeat("17", 64)) + ",3\n"), "test"));
        Assert.Contains("pixel 0 is '17'", bad.Message, StringComparison.Ordinal);
    }

    /// <summary>Sample i has the single feature i and label i mod classes, so tests can tell samples apart.</summary>
    internal static Dataset Indexed(int n, int classes) =>
        new("indexed", [.. Enumerable.Range(0, n).Select(i => (float)i)],
            [.. Enumerable.Range(0, n).Select(i => i % classes)], 1, classes);
}
