using System.Globalization;
using System.Text;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Tensor;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// A fixed-seed randomized suite against a float64 host reference written here: broadcast binary ops over random
/// shapes of rank 0–4 (random size-1 and missing leading dimensions), reductions over random axis sets (negative
/// axes, shuffled order, random keepDim, each overload), and matmul for every pair of operand ranks 1–4 with
/// broadcast batch dimensions. Every case checks the forward values; every third case also checks the gradients of
/// sum(output · w) against the reference's analytic gradients. All cases run on "cpu", "opencl" and "cuda"; every
/// fifth on "cpu-ilgpu", whose per-launch cost would otherwise dominate the suite.
/// </summary>
public class RandomizedTests
{
    private const int BinaryCount = 240;
    private const int ReductionCount = 180;
    private const int MatMulCount = 96;
    private const int IlgpuStride = 5;

    // Tolerances scale with each element's magnitude: |x| for element-wise results, Σ|terms| for sums and matmul
    // (the condition number of a float32 sum), so cancellation does not need a looser rtol. The same on every
    // device: on an H100 the worst element used 0.03 of it.
    private const double Rtol = 1e-5;
    private const double Atol = 1e-6;


    private static readonly Lazy<Case[]> BinaryCases = new(() => MakeBinaryCases(new Random(20261101)));
    private static readonly Lazy<Case[]> ReductionCases = new(() => MakeReductionCases(new Random(20261102)));
    private static readonly Lazy<Case[]> MatMulCases = new(() => MakeMatMulCases(new Random(20261103)));

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Broadcast_binary_ops_match_host_reference(string deviceName) =>
        RunAll(deviceName, BinaryCases.Value, BinaryCount);

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Reductions_match_host_reference(string deviceName) =>
        RunAll(deviceName, ReductionCases.Value, ReductionCount);

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void MatMul_matches_host_reference(string deviceName) =>
        RunAll(deviceName, MatMulCases.Value, MatMulCount);

    private static void RunAll(string deviceName, Case[] cases, int expectedCount)
    {
        using var scope = TestDevices.Use(deviceName);
        Assert.Equal(expectedCount, cases.Length);
        var selected = deviceName == "cpu-ilgpu" ? cases.Where((_, i) => i % IlgpuStride == 0).ToArray() : cases;
        var failures = new List<string>();
        var worst = (Ratio: 0d, Case: "");
        foreach (var c in selected)
        {
            try
            {
                var check = new Check();
                Run(c, scope.Device, check);
                if (check.Problems.Length > 0)
                {
                    failures.Add($"{c.Name}: {check.Problems.ToString().TrimEnd(';', ' ')}");
                }
                if (check.WorstRatio > worst.Ratio)
                {
                    worst = (check.WorstRatio, c.Name);
                }
            }
#pragma warning disable CA1031 // every failing case is collected and reported together below
            catch (Exception e)
#pragma warning restore CA1031
            {
                failures.Add($"{c.Name}: {Describe(e)}");
            }
        }
        int withGrads = selected.Count(c => c.Grads is not null);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{deviceName}: {selected.Length} cases ({withGrads} with gradients), {failures.Count} failed; worst " +
            $"error / ({Atol:G2} + {Rtol:G2}·magnitude) = {worst.Ratio:G3} in '{worst.Case}'");
        Assert.True(failures.Count == 0,
            $"{failures.Count} of {selected.Length} cases failed on {deviceName}:\n" + string.Join("\n", failures));
    }

    private static void Run(Case c, Device device, Check check)
    {
        using var tensors = Tensor.Scope();
        var x = c.Inputs.Select(h => Tensor.FromArray(h.Floats(), h.Shape, device, requiresGrad: c.Grads is not null))
            .ToArray();
        var y = c.Op(x);
        check.Compare("output", y, c.Output);
        if (c.Grads is not null && check.Problems.Length == 0)
        {
            var w = Tensor.FromArray(Array.ConvertAll(c.W!, v => (float)v), c.Output.Shape, device);
            var grads = Autograd.Grad((y * w).Sum(), x);
            for (int i = 0; i < x.Length; i++)
            {
                check.Compare($"grad[{i}]", grads[i], c.Grads[i]);
            }
        }
    }

    /// <summary>Compares a case's tensors, collecting what differed.</summary>
    private sealed class Check
    {
        public StringBuilder Problems { get; } = new();

        /// <summary>The largest error / (Atol + Rtol·magnitude) seen.</summary>
        public double WorstRatio { get; private set; }

        public void Compare(string what, Tensor actual, Expect expected)
        {
            if (!actual.Shape.SequenceEqual(expected.Shape))
            {
                Problems.Append(CultureInfo.InvariantCulture,
                    $"{what} shape {Format(actual.Shape)}, expected {Format(expected.Shape)}; ");
                return;
            }
            var got = actual.ToDoubleArray();
            bool reported = false;
            for (int i = 0; i < got.Length; i++)
            {
                double ratio = Math.Abs(got[i] - expected.Value[i]) / (Atol + Rtol * expected.Magnitude[i]);
                ratio = double.IsNaN(ratio) ? double.PositiveInfinity : ratio;
                WorstRatio = Math.Max(WorstRatio, ratio);
                if (!reported && ratio > 1)
                {
                    Problems.Append(CultureInfo.InvariantCulture,
                        $"{what}[{i}] = {got[i]:G9}, expected {expected.Value[i]:G9}; ");
                    reported = true;
                }
            }
        }
    }

    // ---- binary ops with broadcasting ----

    private static readonly string[] BinaryOps = ["add", "sub", "mul", "div", "pow"];

    private static Case[] MakeBinaryCases(Random rng)
    {
        var cases = new Case[BinaryCount];
        for (int n = 0; n < cases.Length; n++)
        {
            string op = BinaryOps[n % BinaryOps.Length];
            int rank = rng.Next(0, 5);
            var full = RandomShape(rng, rank);
            int[] sa = Operand(rng, full), sb = Operand(rng, full);
            if (rng.Next(2) == 0)
            {
                (sa, sb) = (sb, sa);
            }
            var a = op == "pow" ? Uniform(rng, sa, 0.5, 2) : Normal(rng, sa);
            var b = op == "div" ? AwayFromZero(rng, sb) : Normal(rng, sb);
            var s = Broadcast(sa, sb);
            int[] ia = BroadcastIndex(sa, s), ib = BroadcastIndex(sb, s);
            int size = Size(s);
            var w = Normal(rng, s).Data;
            var value = new double[size];
            var ga = new double[a.Data.Length];
            var gb = new double[b.Data.Length];
            var gaMag = new double[a.Data.Length];
            var gbMag = new double[b.Data.Length];
            for (int i = 0; i < size; i++)
            {
                double av = a.Data[ia[i]], bv = b.Data[ib[i]];
                (double y, double da, double db) = op switch
                {
                    "add" => (av + bv, 1d, 1d),
                    "sub" => (av - bv, 1d, -1d),
                    "mul" => (av * bv, bv, av),
                    "div" => (av / bv, 1 / bv, -av / (bv * bv)),
                    _ => (Math.Pow(av, bv), bv * Math.Pow(av, bv - 1), Math.Pow(av, bv) * Math.Log(av)),
                };
                value[i] = y;
                ga[ia[i]] += w[i] * da;
                gb[ib[i]] += w[i] * db;
                gaMag[ia[i]] += Math.Abs(w[i] * da);
                gbMag[ib[i]] += Math.Abs(w[i] * db);
            }
            Func<Tensor[], Tensor> run = op switch
            {
                "add" => x => x[0] + x[1],
                "sub" => x => x[0] - x[1],
                "mul" => x => x[0] * x[1],
                "div" => x => x[0] / x[1],
                _ => x => x[0].Pow(x[1]),
            };
            bool grads = n % 3 == 0;
            cases[n] = new Case($"#{n} {op} {Format(sa)}{Format(sb)}", run, [a, b],
                new Expect(s, value, value.Select(Math.Abs).ToArray()), grads ? w : null,
                grads ? [new Expect(sa, ga, gaMag), new Expect(sb, gb, gbMag)] : null);
        }
        return cases;
    }

    /// <summary>
    /// A random operand shape that broadcasts to <paramref name="full"/>: leading dims dropped, sizes set to 1.
    /// </summary>
    private static int[] Operand(Random rng, int[] full)
    {
        int drop = rng.Next(3) == 0 ? rng.Next(0, full.Length + 1) : 0;
        return full[drop..].Select(d => rng.Next(3) == 0 ? 1 : d).ToArray();
    }

    // ---- reductions ----

    private static readonly string[] ReductionOps = ["sum", "mean", "max", "min", "logsumexp"];

    private static Case[] MakeReductionCases(Random rng)
    {
        var cases = new Case[ReductionCount];
        for (int n = 0; n < cases.Length; n++)
        {
            string op = ReductionOps[n % ReductionOps.Length];
            int rank = rng.Next(1, 5);
            var shape = RandomShape(rng, rank);
            var x = Normal(rng, shape);
            // form: all() about one case in eight, the int overload for a single axis half the time
            bool all = rng.Next(8) == 0;
            var axes = all ? [] : Enumerable.Range(0, rank).Where(_ => rng.Next(2) == 0).ToList();
            if (!all && axes.Count == 0)
            {
                axes.Add(rng.Next(rank));
            }
            var reduced = all ? Enumerable.Range(0, rank).ToArray() : axes.ToArray();
            int[] given = axes.OrderBy(_ => rng.Next()).Select(a => rng.Next(2) == 0 ? a - rank : a).ToArray();
            bool keepDim = !all && rng.Next(2) == 0;
            bool single = given.Length == 1 && rng.Next(2) == 0;
            var kept = shape.Select((d, i) => reduced.Contains(i) ? 1 : d).ToArray();
            var outShape = keepDim ? kept : shape.Where((_, i) => !reduced.Contains(i)).ToArray();
            var (value, magnitude, grad, gradMag, w) = ReduceReference(op, x, kept, rng);
            Func<Tensor, Tensor> run = (op, all, single) switch
            {
                ("sum", true, _) => t => t.Sum(),
                ("sum", _, true) => t => t.Sum(given[0], keepDim),
                ("sum", _, _) => t => t.Sum(given, keepDim),
                ("mean", true, _) => t => t.Mean(),
                ("mean", _, true) => t => t.Mean(given[0], keepDim),
                ("mean", _, _) => t => t.Mean(given, keepDim),
                ("max", true, _) => t => t.Max(),
                ("max", _, true) => t => t.Max(given[0], keepDim),
                ("max", _, _) => t => t.Max(given, keepDim),
                ("min", true, _) => t => t.Min(),
                ("min", _, true) => t => t.Min(given[0], keepDim),
                ("min", _, _) => t => t.Min(given, keepDim),
                (_, true, _) => t => t.LogSumExp(),
                (_, _, true) => t => t.LogSumExp(given[0], keepDim),
                _ => t => t.LogSumExp(given, keepDim),
            };
            string form = all ? "all" : single ? $"axis {given[0]}" : $"axes {Format(given)}";
            bool grads = n % 3 == 0;
            cases[n] = new Case($"#{n} {op} {form} keepDim={keepDim} {Format(shape)}", t => run(t[0]), [x],
                new Expect(outShape, value, magnitude), grads ? w : null,
                grads ? [new Expect(shape, grad, gradMag)] : null);
        }
        return cases;
    }

    /// <summary>
    /// The reduction of <paramref name="x"/> to <paramref name="kept"/> (reduced axes of size 1) and the gradient of
    /// sum(output · w) for random w; max and min share the gradient evenly among ties, as torch.amax does.
    /// </summary>
    private static (double[] Value, double[] Magnitude, double[] Grad, double[] GradMagnitude, double[] W)
        ReduceReference(string op, Host x, int[] kept, Random rng)
    {
        int outSize = Size(kept);
        int[] map = BroadcastIndex(kept, x.Shape);
        var count = new int[outSize];
        var extreme = new double[outSize];
        Array.Fill(extreme, op == "min" ? double.PositiveInfinity : double.NegativeInfinity);
        var absSum = new double[outSize];
        for (int j = 0; j < map.Length; j++)
        {
            int o = map[j];
            count[o]++;
            absSum[o] += Math.Abs(x.Data[j]);
            extreme[o] = op == "min" ? Math.Min(extreme[o], x.Data[j]) : Math.Max(extreme[o], x.Data[j]);
        }
        var value = new double[outSize];
        var magnitude = new double[outSize];
        var ties = new int[outSize];
        for (int j = 0; j < map.Length; j++)
        {
            int o = map[j];
            switch (op)
            {
                case "sum":
                    value[o] += x.Data[j];
                    break;
                case "mean":
                    value[o] += x.Data[j] / count[o];
                    break;
                case "logsumexp":
                    value[o] += Math.Exp(x.Data[j] - extreme[o]);
                    break;
                default:
                    ties[o] += x.Data[j] == extreme[o] ? 1 : 0;
                    break;
            }
        }
        for (int o = 0; o < outSize; o++)
        {
            (value[o], magnitude[o]) = op switch
            {
                "sum" => (value[o], absSum[o]),
                "mean" => (value[o], absSum[o] / count[o]),
                "logsumexp" => (extreme[o] + Math.Log(value[o]), Math.Abs(extreme[o]) + Math.Log(value[o])),
                _ => (extreme[o], Math.Abs(extreme[o])),
            };
        }
        var w = Normal(rng, [outSize]).Data;
        var grad = new double[map.Length];
        for (int j = 0; j < map.Length; j++)
        {
            int o = map[j];
            grad[j] = op switch
            {
                "sum" => w[o],
                "mean" => w[o] / count[o],
                "logsumexp" => w[o] * Math.Exp(x.Data[j] - value[o]),
                _ => x.Data[j] == extreme[o] ? w[o] / ties[o] : 0,
            };
        }
        return (value, magnitude, grad, grad.Select(Math.Abs).ToArray(), w);
    }

    // ---- matmul ----

    private static Case[] MakeMatMulCases(Random rng)
    {
        var cases = new Case[MatMulCount];
        for (int n = 0; n < cases.Length; n++)
        {
            int ra = n % 4 + 1, rb = n / 4 % 4 + 1;
            int rows = rng.Next(1, 5), inner = rng.Next(1, 5), cols = rng.Next(1, 5);
            var batch = RandomShape(rng, Math.Max(0, Math.Max(ra, rb) - 2));
            int[] ba = ra > 2 ? batch[^(ra - 2)..].Select(d => rng.Next(3) == 0 ? 1 : d).ToArray() : [];
            int[] bb = rb > 2 ? batch[^(rb - 2)..].Select(d => rng.Next(3) == 0 ? 1 : d).ToArray() : [];
            int[] sa = ra == 1 ? [inner] : [.. ba, rows, inner];
            int[] sb = rb == 1 ? [inner] : [.. bb, inner, cols];
            var a = Normal(rng, sa);
            var b = Normal(rng, sb);
            // torch.matmul: a 1-D left operand is a row (its dim removed after), a 1-D right operand a column.
            int m = ra == 1 ? 1 : rows, p = rb == 1 ? 1 : cols;
            var bs = Broadcast(ba, bb);
            int[] outShape = [.. bs, .. (ra == 1 ? Array.Empty<int>() : [rows]),
                .. (rb == 1 ? Array.Empty<int>() : [cols])];
            int[] mapA = BroadcastIndex(ba, bs), mapB = BroadcastIndex(bb, bs);
            int batches = Size(bs);
            var w = Normal(rng, outShape).Data;
            var value = new double[batches * m * p];
            var magnitude = new double[value.Length];
            var ga = new double[a.Data.Length];
            var gb = new double[b.Data.Length];
            var gaMag = new double[a.Data.Length];
            var gbMag = new double[b.Data.Length];
            for (int t = 0; t < batches; t++)
            {
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < p; j++)
                    {
                        int o = (t * m + i) * p + j;
                        for (int k = 0; k < inner; k++)
                        {
                            int ai = (mapA[t] * m + i) * inner + k, bi = (mapB[t] * inner + k) * p + j;
                            value[o] += a.Data[ai] * b.Data[bi];
                            magnitude[o] += Math.Abs(a.Data[ai] * b.Data[bi]);
                            ga[ai] += w[o] * b.Data[bi];
                            gb[bi] += a.Data[ai] * w[o];
                            gaMag[ai] += Math.Abs(w[o] * b.Data[bi]);
                            gbMag[bi] += Math.Abs(a.Data[ai] * w[o]);
                        }
                    }
                }
            }
            bool grads = n % 3 == 0;
            cases[n] = new Case($"#{n} matmul {Format(sa)}{Format(sb)}", x => x[0].MatMul(x[1]), [a, b],
                new Expect(outShape, value, magnitude), grads ? w : null,
                grads ? [new Expect(sa, ga, gaMag), new Expect(sb, gb, gbMag)] : null);
        }
        return cases;
    }

    // ---- host helpers ----

    /// <summary>Random sizes 1–4 (1–3 at rank 4, to keep tensors small).</summary>
    private static int[] RandomShape(Random rng, int rank) =>
        Enumerable.Range(0, rank).Select(_ => rng.Next(1, rank >= 4 ? 4 : 5)).ToArray();

    private static Host Normal(Random rng, int[] shape)
    {
        var data = new double[Size(shape)];
        for (int i = 0; i < data.Length; i++)
        {
            // Box–Muller, rounded to float32 so the device holds exactly the reference's inputs
            double u = 1 - rng.NextDouble(), v = rng.NextDouble();
            data[i] = (float)(Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
        }
        return new Host(shape, data);
    }

    private static Host Uniform(Random rng, int[] shape, double low, double high) =>
        new(shape, Enumerable.Range(0, Size(shape)).Select(_ => (double)(float)(low + (high - low) * rng.NextDouble()))
            .ToArray());

    private static Host AwayFromZero(Random rng, int[] shape)
    {
        var h = Uniform(rng, shape, 0.5, 2);
        for (int i = 0; i < h.Data.Length; i++)
        {
            h.Data[i] *= rng.Next(2) == 0 ? -1 : 1;
        }
        return h;
    }

    private static int Size(int[] shape) => shape.Aggregate(1, (p, d) => p * d);

    private static int[] Broadcast(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var s = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            s[i] = da == 1 ? db : da;
        }
        return s;
    }

    /// <summary>For each row-major index of <paramref name="target"/>, the index of the element of a
    /// <paramref name="shape"/> tensor broadcast to it (shapes aligned on the right, size-1 dims repeated).</summary>
    private static int[] BroadcastIndex(int[] shape, int[] target)
    {
        var map = new int[Size(target)];
        int pad = target.Length - shape.Length;
        for (int i = 0; i < map.Length; i++)
        {
            int rest = i, index = 0, stride = 1;
            for (int d = target.Length - 1; d >= pad; d--)
            {
                int coordinate = rest % target[d];
                rest /= target[d];
                if (shape[d - pad] != 1)
                {
                    index += coordinate * stride;
                }
                stride *= shape[d - pad];
            }
            map[i] = index;
        }
        return map;
    }

    private static string Format(int[] shape) => "(" + string.Join(",", shape) + ")";

    /// <summary>The exception and, when it wraps another, the innermost cause (ILGPU wraps compiler errors).</summary>
    private static string Describe(Exception e)
    {
        var inner = e.GetBaseException();
        return inner == e
            ? $"{e.GetType().Name}: {e.Message}"
            : $"{e.GetType().Name}: {e.Message} <- {inner.GetType().Name}: {inner.Message}";
    }

    /// <summary>A host tensor whose values are float32-representable.</summary>
    private sealed record Host(int[] Shape, double[] Data)
    {
        public float[] Floats() => Array.ConvertAll(Data, v => (float)v);
    }

    /// <summary>Expected values and, per element, the magnitude the tolerance scales with.</summary>
    private sealed record Expect(int[] Shape, double[] Value, double[] Magnitude);

    /// <summary>One randomized case: W and Grads are set for the cases whose gradients are checked.</summary>
    private sealed record Case(string Name, Func<Tensor[], Tensor> Op, Host[] Inputs, Expect Output, double[]? W,
        Expect[]? Grads);
}
