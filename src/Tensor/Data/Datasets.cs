namespace MicrogradPlus.Data;

/// <summary>
/// Seeded toy classification sets in the manner of scikit-learn's <c>sklearn.datasets.make_*</c> (same geometry,
/// same label convention; the random numbers come from this library's own generator, so the points are not
/// sklearn's). The same seed gives the same data on every machine. Samples are shuffled.
/// </summary>
public static class Datasets
{
    /// <summary>
    /// Two interleaving half circles (<c>make_moons</c>): ⌊n/2⌋ points of class 0 on the upper arc
    /// (cos t, sin t), t ∈ [0, π], and the rest of class 1 on the lower arc (1 − cos t, 0.5 − sin t), plus
    /// Gaussian noise of standard deviation <paramref name="noise"/> on both coordinates.
    /// </summary>
    /// <param name="n">How many points, both classes together.</param>
    /// <param name="noise">The noise's standard deviation (0 for none).</param>
    /// <param name="seed">The seed; the same seed gives the same points everywhere.</param>
    /// <returns>A shuffled two-class dataset with 2 features.</returns>
    public static Dataset Moons(int n, double noise = 0.1, int seed = 0)
    {
        CheckCount(n, 2);
        CheckNoise(noise, nameof(noise));
        var random = new SeededRandom(seed);
        int outer = n / 2;
        var points = new double[n * 2];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            bool isOuter = i < outer;
            double t = Math.PI * LinSpace(isOuter ? i : i - outer, isOuter ? outer : n - outer);
            points[2 * i] = isOuter ? Math.Cos(t) : 1 - Math.Cos(t);
            points[2 * i + 1] = isOuter ? Math.Sin(t) : 0.5 - Math.Sin(t);
            labels[i] = isOuter ? 0 : 1;
        }
        return Finish("moons", points, labels, 2, 2, noise, random);
    }

    /// <summary>
    /// A large circle of class 0 around a smaller one of class 1 (<c>make_circles</c>): ⌊n/2⌋ points at angles
    /// 2πk/⌊n/2⌋ on the unit circle, the rest likewise on the circle of radius <paramref name="factor"/>, plus
    /// Gaussian noise of standard deviation <paramref name="noise"/>.
    /// </summary>
    /// <param name="n">How many points, both classes together.</param>
    /// <param name="noise">The noise's standard deviation (0 for none).</param>
    /// <param name="factor">The inner circle's radius, in (0, 1).</param>
    /// <param name="seed">The seed; the same seed gives the same points everywhere.</param>
    /// <returns>A shuffled two-class dataset with 2 features.</returns>
    public static Dataset Circles(int n, double noise = 0.05, double factor = 0.5, int seed = 0)
    {
        CheckCount(n, 2);
        CheckNoise(noise, nameof(noise));
        if (!(factor >= 0 && factor < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "factor must be in [0, 1)");
        }
        var random = new SeededRandom(seed);
        int outer = n / 2;
        var points = new double[n * 2];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            bool isOuter = i < outer;
            int k = isOuter ? i : i - outer;
            double t = 2 * Math.PI * k / (isOuter ? outer : n - outer);
            double radius = isOuter ? 1 : factor;
            points[2 * i] = radius * Math.Cos(t);
            points[2 * i + 1] = radius * Math.Sin(t);
            labels[i] = isOuter ? 0 : 1;
        }
        return Finish("circles", points, labels, 2, 2, noise, random);
    }

    /// <summary>
    /// The CS231n spiral: <paramref name="classes"/> arms, class j having points at radius r ∈ [0, 1] (evenly
    /// spaced) and angle t = 4j + 4r + ε, ε ~ N(0, <paramref name="noise"/>²), at (r sin t, r cos t). The
    /// <paramref name="n"/> points are shared out as evenly as possible (the first n mod classes arms get one more).
    /// </summary>
    /// <param name="n">How many points, all arms together.</param>
    /// <param name="classes">How many arms (classes).</param>
    /// <param name="noise">The angle noise's standard deviation.</param>
    /// <param name="seed">The seed; the same seed gives the same points everywhere.</param>
    /// <returns>A shuffled dataset with 2 features and <paramref name="classes"/> classes.</returns>
    public static Dataset Spiral(int n, int classes = 3, double noise = 0.2, int seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        CheckCount(n, classes);
        CheckNoise(noise, nameof(noise));
        var random = new SeededRandom(seed);
        var points = new double[n * 2];
        var labels = new int[n];
        int i = 0;
        for (int j = 0; j < classes; j++)
        {
            int count = n / classes + (j < n % classes ? 1 : 0);
            for (int k = 0; k < count; k++, i++)
            {
                double r = LinSpace(k, count);
                double t = 4 * j + 4 * r + noise * random.NextNormal();
                points[2 * i] = r * Math.Sin(t);
                points[2 * i + 1] = r * Math.Cos(t);
                labels[i] = j;
            }
        }
        return Finish("spiral", points, labels, 2, classes, 0, random);
    }

    /// <summary>
    /// Gaussian blobs (<c>make_blobs</c>): <paramref name="centers"/> centres drawn uniformly from
    /// [−10, 10]^<paramref name="features"/>, and around centre c, n/centers points (the first n mod centers centres
    /// get one more) drawn from N(c, <paramref name="std"/>² I), labelled c.
    /// </summary>
    /// <param name="n">How many points, all blobs together.</param>
    /// <param name="centers">How many blobs (classes).</param>
    /// <param name="features">The dimension of the points.</param>
    /// <param name="std">Each blob's standard deviation.</param>
    /// <param name="seed">The seed of the centres and the points: draw one set and split it (<see cref="Dataset.Split"/>) for train and test sets from the same blobs.</param>
    /// <returns>A shuffled dataset with <paramref name="features"/> features and <paramref name="centers"/> classes.</returns>
    public static Dataset Blobs(int n, int centers = 3, int features = 2, double std = 1.0, int seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(centers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        CheckCount(n, centers);
        CheckNoise(std, nameof(std));
        var random = new SeededRandom(seed);
        var middle = new double[centers * features];
        for (int i = 0; i < middle.Length; i++)
        {
            middle[i] = random.Uniform(-10, 10);
        }
        var points = new double[n * features];
        var labels = new int[n];
        int row = 0;
        for (int c = 0; c < centers; c++)
        {
            int count = n / centers + (c < n % centers ? 1 : 0);
            for (int k = 0; k < count; k++, row++)
            {
                for (int f = 0; f < features; f++)
                {
                    points[row * features + f] = middle[c * features + f] + std * random.NextNormal();
                }
                labels[row] = c;
            }
        }
        return Finish("blobs", points, labels, features, centers, 0, random);
    }

    /// <summary>Shuffles the rows, adds the noise after shuffling (as sklearn does) and rounds to float32.</summary>
    private static Dataset Finish(string name, double[] points, int[] labels, int features, int classes,
        double noise, SeededRandom random)
    {
        var order = random.Permutation(labels.Length);
        var data = new float[points.Length];
        var shuffled = new int[labels.Length];
        for (int i = 0; i < order.Length; i++)
        {
            shuffled[i] = labels[order[i]];
            for (int f = 0; f < features; f++)
            {
                double value = points[order[i] * features + f];
                data[i * features + f] = (float)(noise > 0 ? value + noise * random.NextNormal() : value);
            }
        }
        return new Dataset(name, data, shuffled, features, classes);
    }

    /// <summary>Element k of numpy's linspace(0, 1, count) (0 alone when count is 1).</summary>
    private static double LinSpace(int k, int count) => count > 1 ? (double)k / (count - 1) : 0;

    private static void CheckCount(int n, int atLeast)
    {
        if (n < atLeast)
        {
            throw new ArgumentOutOfRangeException(nameof(n), n, $"need at least {atLeast} samples");
        }
    }

    private static void CheckNoise(double noise, string parameter)
    {
        if (!(noise >= 0) || double.IsInfinity(noise))
        {
            throw new ArgumentOutOfRangeException(parameter, noise, $"{parameter} must be a finite value ≥ 0");
        }
    }
}
