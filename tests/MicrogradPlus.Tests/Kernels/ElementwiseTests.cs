using System.Globalization;
using System.Numerics;
using MicrogradPlus.Backends;
using MicrogradPlus.Kernels;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Kernels;

/// <summary>
/// Map and Zip: every operator struct in UnaryOps.cs and BinaryOps.cs against a float64 reference, through the
/// contiguous fast path and the strided kernel, on every view shape that matters (offset, transposed, expanded,
/// negative stride, rank 0, size-1 and zero-size dimensions, broadcast corners).
/// </summary>
public class ElementwiseTests
{
    private const double Inf = double.PositiveInfinity;
    private const double NaN = double.NaN;

    /// <summary>One unary operator (or one parameter value of it) with its reference and input domain.</summary>
    private sealed record UnaryCase(string Name, Type OpType, Func<double, double> Reference, Domain Domain,
        double[] Specials, bool Transcendental, bool InDoubleSubset, Tolerance? DoubleTolerance,
        Action<StridedView<float>, DeviceBuffer<float>> MapFloat,
        Action<StridedView<double>, DeviceBuffer<double>> MapDouble);

    /// <summary>One binary operator with its reference, the domains of both operands, and special pairs.</summary>
    private sealed record BinaryCase(string Name, Type OpType, Func<double, double, double> Reference, Domain A,
        Domain B, (double A, double B)[] Specials, bool Transcendental, bool InDoubleSubset,
        Action<StridedView<float>, StridedView<float>, DeviceBuffer<float>> ZipFloat,
        Action<StridedView<double>, StridedView<double>, DeviceBuffer<double>> ZipDouble);

    /// <summary>Uniform inputs in [Low, High], optionally rounded to integers or given a random sign.</summary>
    private sealed record Domain(double Low, double High, bool Integers = false, bool RandomSign = false)
    {
        public double Next(Random random)
        {
            double v = Low + (High - Low) * random.NextDouble();
            v = Integers ? Math.Round(v) : v;
            return RandomSign && random.Next(2) == 0 ? -v : v;
        }
    }

    private static UnaryCase Unary<TOp>(string name, TOp op, Func<double, double> reference, Domain domain,
        double[] specials, bool transcendental = false, bool inDoubleSubset = false, Tolerance? doubleTolerance = null)
        where TOp : struct, IUnaryOp<float>, IUnaryOp<double> =>
        new(name, typeof(TOp), reference, domain, specials, transcendental, inDoubleSubset, doubleTolerance,
            (x, y) => Primitives.Map<float, TOp>(x, y, op), (x, y) => Primitives.Map<double, TOp>(x, y, op));

    private static BinaryCase Binary<TOp>(string name, Func<double, double, double> reference, Domain a, Domain b,
        (double, double)[] specials, bool transcendental = false, bool inDoubleSubset = false)
        where TOp : struct, IBinaryOp<float>, IBinaryOp<double> =>
        new(name, typeof(TOp), reference, a, b, specials, transcendental, inDoubleSubset,
            (x, y, z) => Primitives.Zip<float, TOp>(x, y, z), (x, y, z) => Primitives.Zip<double, TOp>(x, y, z));

    private static BinaryCase Binary<TOp>(string name, TOp op, Func<double, double, double> reference, Domain a,
        Domain b, (double, double)[] specials, bool transcendental = false, bool inDoubleSubset = false)
        where TOp : struct, IBinaryOp<float>, IBinaryOp<double> =>
        new(name, typeof(TOp), reference, a, b, specials, transcendental, inDoubleSubset,
            (x, y, z) => Primitives.Zip(x, y, z, op), (x, y, z) => Primitives.Zip(x, y, z, op));

    private static readonly Domain Symmetric = new(-5, 5);
    private static readonly double[] PassThrough = [0, -0.0, Inf, -Inf, NaN, 1e30, -1e-30];

    // The gelu fit in DeviceMath.Erfc is accurate to 1.2e-7 relative, in double as in float: a float64 gelu is only
    // that good. Near gelu'(x) = 0 (x ≈ −0.75) the error is absolute.
    private static readonly Tolerance GeluDouble = new(1e-6, 1e-7);

    private static readonly UnaryCase[] UnaryCases =
    [
        Unary("IdentityOp", default(IdentityOp), x => x, Symmetric, PassThrough),
        Unary("NegOp", default(NegOp), x => -x, Symmetric, PassThrough),
        Unary("ExpOp", default(ExpOp), Math.Exp, new(-10, 10), [0, Inf, -Inf, NaN, -100, 88], true, true),
        Unary("LogOp", default(LogOp), Math.Log, new(1e-3, 100), [0, 1, 1.0001, Inf, -1, NaN], true, true),
        Unary("SqrtOp", default(SqrtOp), Math.Sqrt, new(0, 100), [0, 1e-20, Inf, -1, NaN], true),
        Unary("AbsOp", default(AbsOp), Math.Abs, Symmetric, [-0.0, -Inf, NaN]),
        Unary("SigmoidOp", default(SigmoidOp), HostMath.Sigmoid, new(-20, 20), [0, Inf, -Inf, NaN, -100, 100], true,
            true),
        Unary("TanhOp", default(TanhOp), Math.Tanh, new(-6, 6),
            [0, 1e-3, -0.1, 0.124, 0.126, -0.2, Inf, -Inf, NaN, -20], true, true),
        Unary("ReluOp", default(ReluOp), x => double.IsNaN(x) || x > 0 ? x : 0, Symmetric, [0, -0.0, Inf, -Inf, NaN]),
        Unary("GeluOp", default(GeluOp), HostMath.Gelu, new(-8, 8), [0, 1e-3, -1e-3, -0.5, Inf, NaN], true, true,
            GeluDouble),
        Unary("SignOp", default(SignOp), x => x > 0 ? 1 : x < 0 ? -1 : 0, Symmetric, PassThrough),
        Unary("ReciprocalOp", default(ReciprocalOp), x => 1 / x, new(-10, 10), [0, -0.0, Inf, NaN, 1e-3]),
        Unary("SquareOp", default(SquareOp), x => x * x, Symmetric, [-0.0, Inf, -Inf, NaN]),
        Unary("GeluGradOp", default(GeluGradOp), HostMath.GeluGrad, new(-8, 8), [0, -0.7517916, -3, NaN], true, true,
            GeluDouble),
        Unary("LeakyReluOp(0.01)", new LeakyReluOp(0.01), x => x > 0 ? x : 0.01 * x, Symmetric, [0, Inf, -Inf]),
        Unary("LeakyReluOp(0.2)", new LeakyReluOp(0.2), x => x > 0 ? x : 0.2 * x, Symmetric, [0, -0.0], false, true),
        Unary("LeakyReluMaskOp(0.2)", new LeakyReluMaskOp(0.2), x => x > 0 ? 1 : 0.2, Symmetric, [0, Inf, -Inf]),
        Unary("PowScalarOp(2)", new PowScalarOp(2), x => Math.Pow(x, 2), Symmetric, [-0.0, Inf, -Inf, NaN]),
        Unary("PowScalarOp(3)", new PowScalarOp(3), x => Math.Pow(x, 3), Symmetric, [-0.0, -Inf], false, true),
        Unary("PowScalarOp(-1)", new PowScalarOp(-1), x => Math.Pow(x, -1), Symmetric, [0, -0.0]),
        Unary("PowScalarOp(0)", new PowScalarOp(0), x => Math.Pow(x, 0), Symmetric, [0, NaN, Inf]),
        Unary("PowScalarOp(0.5)", new PowScalarOp(0.5), x => Math.Pow(x, 0.5), new(0, 10), [0, -1, Inf], true),
        Unary("PowScalarOp(1.5)", new PowScalarOp(1.5), x => Math.Pow(x, 1.5), new(0.01, 10), [0, -1], true, true),
        Unary("PowScalarOp(-2.5)", new PowScalarOp(-2.5), x => Math.Pow(x, -2.5), new(0.1, 10), [0], true),
        Unary("PowScalarOp(20)", new PowScalarOp(20), x => Math.Pow(x, 20), new(0.5, 1.5), [-1.25]),
        Unary("AddScalarOp(2.5)", new AddScalarOp(2.5), x => x + 2.5, Symmetric, [Inf, NaN]),
        Unary("MulScalarOp(-1.5)", new MulScalarOp(-1.5), x => x * -1.5, Symmetric, [Inf, NaN, 0]),
        Unary("ScalarDivOp(3)", new ScalarDivOp(3), x => 3 / x, new(-10, 10), [0, -0.0, Inf]),
        Unary("ScalarPowOp(2)", new ScalarPowOp(2), x => Math.Pow(2, x), new(-10, 10), [0, -Inf, Inf, NaN], true,
            true),
        Unary("ScalarPowOp(-2)", new ScalarPowOp(-2), x => Math.Pow(-2, x), new(-6, 6, Integers: true), [0.5, 0]),
        Unary("ScalarPowOp(0)", new ScalarPowOp(0), x => Math.Pow(0, x), new(-3, 3), [0, -1, 2]),
        Unary("FiniteOrZeroOp", default(FiniteOrZeroOp), x => double.IsInfinity(x) ? 0 : x, Symmetric, PassThrough),
        Unary("SiluOp", default(SiluOp), HostMath.Silu, new(-20, 20), [0, -0.0, Inf, -Inf, NaN, -100, 100, -1.2785],
            true, true),
        Unary("RsqrtOp", default(RsqrtOp), x => 1 / Math.Sqrt(x), new(0.01, 100), [0, Inf, -1, NaN, 1e-30], true, true),
        Unary("SinOp", default(SinOp), Math.Sin, new(-10, 10), [0, -0.0, Inf, NaN, 1e-20], true, true),
        Unary("CosOp", default(CosOp), Math.Cos, new(-10, 10), [0, Inf, NaN], true, true),
        Unary("Log2Op", default(Log2Op), Math.Log2, new(1e-3, 100), [0, 1, 8, 0.125, Inf, -1, NaN], true, true),
        Unary("Exp2Op", default(Exp2Op), x => Math.Pow(2, x), new(-20, 20), [0, 3, -3, 10.5, Inf, -Inf, NaN], true,
            true),
        Unary("Log1pOp", default(Log1pOp), Log1p, new(-0.9, 10), [0, 1e-10, -1e-10, 1e-5, -1, -2, Inf, NaN], true, true),
        Unary("Expm1Op", default(Expm1Op), Expm1, new(-10, 10), [0, 1e-10, -1e-10, 1e-5, -Inf, Inf, NaN, -100], true,
            true),
        Unary("FloorOp", default(FloorOp), Math.Floor, Symmetric, PassThrough, false, true),
        Unary("CeilOp", default(CeilOp), Math.Ceiling, Symmetric, PassThrough, false, true),
        Unary("RoundOp", default(RoundOp), Math.Round, Symmetric,
            [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999997, 8388609, 0, -0.0, Inf, -Inf, NaN, 1e30, -0.4], false, true),
        Unary("TruncOp", default(TruncOp), Math.Truncate, Symmetric, [.. PassThrough, -0.5, 2.7, -2.7], false, true),
        Unary("ErfOp", default(ErfOp), HostMath.Erf, new(-4, 4), [0, 1e-6, -0.2, 0.26, 2.49, 2.51, Inf, -Inf, NaN],
            true, true, new Tolerance(1e-10, 1e-12)),
        Unary("IsNanOp", default(IsNanOp), x => double.IsNaN(x) ? 1 : 0, Symmetric, PassThrough),
        Unary("IsInfOp", default(IsInfOp), x => double.IsInfinity(x) ? 1 : 0, Symmetric, PassThrough),
        Unary("IsFiniteOp", default(IsFiniteOp), x => double.IsFinite(x) ? 1 : 0, Symmetric, PassThrough),
        Unary("DivScalarOp(-0.25)", new DivScalarOp(-0.25), x => x / -0.25, Symmetric, [Inf, NaN, 0], false, true),
        Unary("DivScalarOp(3)", new DivScalarOp(3), x => x / 3, Symmetric, [Inf, NaN, 0]),
        Unary("ClampOp(-1, 2)", new ClampOp(-1, 2), x => Math.Min(Math.Max(x, -1), 2), Symmetric,
            [-1, 2, NaN, Inf, -Inf], false, true),
        Unary("ClampOp(2, -1)", new ClampOp(2, -1), x => Math.Min(Math.Max(x, 2), -1), Symmetric, [NaN, 2, -1]),
        Unary("SoftplusOp(1, 20)", new SoftplusOp(1, 20), x => x > 20 ? x : Log1p(Math.Exp(x)), new(-30, 30),
            [0, 20, 20.5, -100, 100, Inf, -Inf, NaN], true, true),
        Unary("SoftplusOp(2, 5)", new SoftplusOp(2, 5), x => 2 * x > 5 ? x : Log1p(Math.Exp(2 * x)) / 2, new(-10, 10),
            [2.5, 2.6, 0], true),
        Unary("EluOp(1, 1)", new EluOp(1, 1), x => x > 0 ? x : Expm1(x), Symmetric, [0, -0.0, Inf, -Inf, NaN, -100],
            true, true),
        Unary("EluOp(selu)", new EluOp(1.6732632423543772, 1.0507009873554805),
            x => 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * Expm1(x)), Symmetric, [0, -Inf, NaN], true),
        Unary("GeluTanhOp", default(GeluTanhOp), GeluTanh, new(-8, 8), [0, -0.0, 1e-3, Inf, -Inf, NaN], true, true),
        Unary("HardswishOp", default(HardswishOp), x => x * Math.Min(Math.Max(x + 3, 0), 6) / 6, Symmetric,
            [-3, 3, 0, NaN, Inf, -Inf], false, true),
        Unary("HardsigmoidOp", default(HardsigmoidOp), x => Math.Min(Math.Max(x + 3, 0), 6) / 6, Symmetric,
            [-3, 3, 0, NaN, Inf, -Inf], false, true),
        Unary("MishOp", default(MishOp), x => x * Math.Tanh(Log1p(Math.Exp(x))), new(-20, 20),
            [0, NaN, Inf, -Inf, -100, 100], true, true),
        Unary("LogSigmoidOp", default(LogSigmoidOp), x => Math.Min(x, 0) - Log1p(Math.Exp(-Math.Abs(x))), new(-30, 30),
            [0, -100, 100, Inf, -Inf, NaN], true, true),
        Unary("SoftsignOp", default(SoftsignOp), x => x / (1 + Math.Abs(x)), Symmetric, [0, -0.0, NaN, 1e30, -1e30],
            false, true),
    ];

    /// <summary>ln(1 + x) in double, with its series where 1 + x would round.</summary>
    private static double Log1p(double x) =>
        Math.Abs(x) < 1e-3 ? x * (1 - x * (1.0 / 2 - x * (1.0 / 3 - x * (1.0 / 4 - x / 5)))) : Math.Log(1 + x);

    /// <summary>eˣ − 1 in double, with its series where eˣ − 1 would cancel.</summary>
    private static double Expm1(double x) =>
        Math.Abs(x) < 1e-3 ? x * (1 + x * (1.0 / 2 + x * (1.0 / 6 + x * (1.0 / 24 + x / 120)))) : Math.Exp(x) - 1;

    /// <summary>gelu's tanh approximation in double.</summary>
    private static double GeluTanh(double x) =>
        0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

    private static readonly Domain Comparable = new(-2, 2, Integers: true);
    private static readonly (double, double)[] ComparisonSpecials =
        [(NaN, 1), (1, NaN), (NaN, NaN), (Inf, Inf), (-Inf, Inf), (0, -0.0), (2, 2)];
    private static readonly (double, double)[] NaNPairs = [(NaN, 1), (1, NaN), (NaN, NaN), (Inf, -Inf), (2, 2)];

    private static readonly BinaryCase[] BinaryCases =
    [
        Binary<AddOp>("AddOp", (a, b) => a + b, Symmetric, Symmetric, [(Inf, 1), (Inf, -Inf), (NaN, 1)], false,
            true),
        Binary<SubOp>("SubOp", (a, b) => a - b, Symmetric, Symmetric, [(Inf, Inf), (NaN, 0), (1e30, -1e30)]),
        Binary<SquaredDifferenceOp>("SquaredDifferenceOp", (a, b) => (a - b) * (a - b), Symmetric, Symmetric,
            [(Inf, Inf), (Inf, 1), (NaN, 0), (3, 3), (-0.0, 0), (1e30, -1e30)], false, true),
        Binary<MulOp>("MulOp", (a, b) => a * b, Symmetric, Symmetric, [(Inf, 0), (-0.0, 3), (NaN, 1)], false, true),
        Binary<DivOp>("DivOp", (a, b) => a / b, Symmetric, new(0.25, 5, RandomSign: true),
            [(1, 0), (-1, 0), (0, 0), (Inf, 2), (3, Inf)], false, true),
        Binary<PowOp>("PowOp", Math.Pow, new(0.1, 4), new(-3, 3),
            [(-2, 3), (-2, 2), (-2, -1), (-2, 0.5), (0, -1), (0, 2), (0, 0), (NaN, 0), (4, 0.5), (-8, 1.0 / 3),
             (1.5, 20), (-0.0, -1), (0, -0.5), (2, 64), (2, 65), (-2, 65), (-8, 65), (-1.5, -70), (-2, 66.5),
             (2, NaN), (-2, NaN), (NaN, 2), (1, NaN), (0, NaN)],
            true, true),
        Binary<ReluBackwardOp>("ReluBackwardOp", (g, x) => x > 0 ? g : 0, Symmetric, Symmetric,
            [(1, 0), (1, -0.0), (Inf, -1), (NaN, -1), (NaN, 1), (2, Inf), (2, NaN)]),
        Binary<MaximumOp>("MaximumOp", HostMath.Maximum, Symmetric, Symmetric, NaNPairs, false, true),
        Binary<MinimumOp>("MinimumOp", HostMath.Minimum, Symmetric, Symmetric, NaNPairs),
        Binary<GreaterOp>("GreaterOp", (a, b) => a > b ? 1 : 0, Comparable, Comparable, ComparisonSpecials),
        Binary<GreaterEqualOp>("GreaterEqualOp", (a, b) => a >= b ? 1 : 0, Comparable, Comparable,
            ComparisonSpecials),
        Binary<LessOp>("LessOp", (a, b) => a < b ? 1 : 0, Comparable, Comparable, ComparisonSpecials, false, true),
        Binary<LessEqualOp>("LessEqualOp", (a, b) => a <= b ? 1 : 0, Comparable, Comparable, ComparisonSpecials),
        Binary<EqualOp>("EqualOp", (a, b) => a == b ? 1 : 0, Comparable, Comparable, ComparisonSpecials),
        Binary<NotEqualOp>("NotEqualOp", (a, b) => a != b ? 1 : 0, Comparable, Comparable, ComparisonSpecials),
        Binary<LogAddExpOp>("LogAddExpOp", LogAddExp, Symmetric, Symmetric,
            [(-Inf, -Inf), (Inf, Inf), (Inf, -Inf), (-Inf, 2), (NaN, 1), (1, NaN), (30, -30), (2, 2)], true, true),
        Binary("LerpOp(0.75)", new LerpOp(0.75), (a, b) => b - (b - a) * 0.25, Symmetric, Symmetric,
            [(Inf, 1), (1, Inf), (NaN, 1), (2, 2)], false, true),
        Binary<KeepWhereOp>("KeepWhereOp", (c, x) => c != 0 ? x : 0, Comparable, Symmetric,
            [(NaN, 2), (0, Inf), (-0.0, 3), (1, NaN), (0, NaN), (1, -Inf)], false, true),
        Binary<KeepWhereNotOp>("KeepWhereNotOp", (c, x) => c == 0 ? x : 0, Comparable, Symmetric,
            [(NaN, 2), (0, Inf), (-0.0, 3), (1, NaN), (0, NaN), (1, -Inf)], false, true),
    ];

    /// <summary>log(eᵃ + eᵇ) in double; equal infinities give themselves.</summary>
    private static double LogAddExp(double a, double b)
    {
        double m = Math.Max(a, b);
        return double.IsInfinity(m) && a == b ? a : m + Log1p(Math.Exp(-Math.Abs(a - b)));
    }

    /// <summary>Inputs for map: contiguous (with and without offset), strided, broadcast, rank 0, sizes 1 and 0.
    /// </summary>
    private static readonly (string Name, Func<double[], HostView> Make)[] MapViews =
    [
        ("contiguous", v => HostView.Filled(v, 3, 5, 7)),
        ("offset slice", v => HostView.Filled(v, 4, 6).Slice(0, 1, 3)),
        ("transposed", v => HostView.Filled(v, 6, 4).TransposeLast()),
        ("expanded", v => HostView.Filled(v, 1, 5).Expand(3, 5)),
        ("flipped", v => HostView.Filled(v, 9).Flip(0)),
        ("rank 0", v => HostView.Filled(v)),
        ("size-1 dims", v => HostView.Filled(v, 1, 7, 1)),
        ("zero-size", v => HostView.Filled(v, 0, 4)),
    ];

    /// <summary>Operand pairs for zip: exact shapes, every broadcast corner, and non-contiguous operands.</summary>
    private static readonly (string Name, Func<double[], HostView> A, Func<double[], HostView> B)[] ZipViews =
    [
        ("same shape", v => HostView.Filled(v, 3, 4, 5), v => HostView.Filled(v, 3, 4, 5)),
        ("(3,1,5)·(1,4,1)", v => HostView.Filled(v, 3, 1, 5), v => HostView.Filled(v, 1, 4, 1)),
        ("(4,5)·(5,)", v => HostView.Filled(v, 4, 5), v => HostView.Filled(v, 5)),
        ("(5,)·(2,3,5)", v => HostView.Filled(v, 5), v => HostView.Filled(v, 2, 3, 5)),
        ("()·(2,3)", v => HostView.Filled(v), v => HostView.Filled(v, 2, 3)),
        ("(2,3)·()", v => HostView.Filled(v, 2, 3), v => HostView.Filled(v)),
        ("()·()", v => HostView.Filled(v), v => HostView.Filled(v)),
        ("(1,)·(1,1)", v => HostView.Filled(v, 1), v => HostView.Filled(v, 1, 1)),
        ("(1,3,1)·(2,1,1)", v => HostView.Filled(v, 1, 3, 1), v => HostView.Filled(v, 2, 1, 1)),
        ("(3,1)·(3,)", v => HostView.Filled(v, 3, 1), v => HostView.Filled(v, 3)),
        ("(0,3)·(1,3)", v => HostView.Filled(v, 0, 3), v => HostView.Filled(v, 1, 3)),
        ("(2,0)·(2,1)", v => HostView.Filled(v, 2, 0), v => HostView.Filled(v, 2, 1)),
        ("()·(0,)", v => HostView.Filled(v), v => HostView.Filled(v, 0)),
        ("rank 6", v => HostView.Filled(v, 2, 1, 2, 1, 2, 3), v => HostView.Filled(v, 1, 3, 1, 2, 1, 1)),
        ("transposed·contiguous", v => HostView.Filled(v, 5, 4).TransposeLast(), v => HostView.Filled(v, 4, 5)),
        ("contiguous·column slice", v => HostView.Filled(v, 4, 5), v => HostView.Filled(v, 4, 8).Slice(1, 2, 7)),
        ("expanded·contiguous", v => HostView.Filled(v, 1, 5).Expand(4, 5), v => HostView.Filled(v, 4, 5)),
        ("contiguous·flipped", v => HostView.Filled(v, 6), v => HostView.Filled(v, 6).Flip(0)),
        ("offset slices", v => HostView.Filled(v, 4, 5).Slice(0, 1, 3), v => HostView.Filled(v, 3, 5).Slice(0, 1, 3)),
        ("transposed·row", v => HostView.Filled(v, 3, 2, 4).Permute(2, 0, 1), v => HostView.Filled(v, 1, 1, 2)),
    ];

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Map_matches_the_float64_reference_for_every_unary_op(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var log = new Mismatches();
        foreach (var op in UnaryCases)
        {
            CheckMap(scope.Device, op, op.MapFloat, Tolerance.F32(scope.Device, op.Transcendental), log);
        }
        log.AssertNone();
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Map_in_float64_matches_the_reference(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var log = new Mismatches();
        foreach (var op in UnaryCases.Where(c => c.InDoubleSubset))
        {
            var tolerance = op.DoubleTolerance ?? Tolerance.F64(scope.Device, op.Transcendental);
            CheckMap(scope.Device, op, op.MapDouble, tolerance, log);
        }
        log.AssertNone();
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Zip_matches_the_float64_reference_for_every_binary_op_and_broadcast(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var log = new Mismatches();
        foreach (var op in BinaryCases)
        {
            CheckZip(scope.Device, op, op.ZipFloat, Tolerance.F32(scope.Device, op.Transcendental), log);
        }
        log.AssertNone();
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Zip_in_float64_matches_the_reference(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var log = new Mismatches();
        foreach (var op in BinaryCases.Where(c => c.InDoubleSubset))
        {
            CheckZip(scope.Device, op, op.ZipDouble, Tolerance.F64(scope.Device, op.Transcendental), log);
        }
        log.AssertNone();
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Copy_op_maps_ints_unchanged_through_both_paths(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        using var buffers = new BufferSet();
        var data = Enumerable.Range(0, 24).Select(i => (double)(i * 7919 - 50000)).ToArray();
        foreach (var host in new[] { HostView.Contiguous(data, 4, 6), HostView.Contiguous(data, 4, 6).TransposeLast() })
        {
            var y = buffers.Rent<int>(device, host.Size);
            Primitives.Map<int, CopyOp<int>>(host.Upload<int>(device, buffers), y);
            Assert.Equal(host.Logical().Select(v => (int)v), y.ToArray());
        }
    }

    /// <summary>
    /// Above the CPU device's host-loop threshold (16K elements) strided bodies go through ILGPU and contiguous maps
    /// through the parallel host loop; on GPUs these are just bigger grids.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Large_inputs_take_the_parallel_and_kernel_paths(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var device = scope.Device;
        var log = new Mismatches();
        var random = new Random(11);
        var values = HostView.Round<float>(Enumerable.Range(0, 70_000).Select(_ => random.NextDouble() * 8 - 4));
        var tolerance = Tolerance.F32(device, transcendental: true);
        using var buffers = new BufferSet();

        var flat = HostView.Contiguous(values, 70_000);
        var exp = buffers.Rent<float>(device, flat.Size);
        Primitives.Map<float, ExpOp>(flat.Upload<float>(device, buffers), exp);
        log.Compare($"map exp contiguous (70000,) on {device}", Widen(exp.ToArray()),
            HostView.Round<float>(values.Select(Math.Exp)), tolerance);

        var transposed = HostView.Contiguous(values, 140, 150).TransposeLast();
        var texp = buffers.Rent<float>(device, transposed.Size);
        Primitives.Map<float, ExpOp>(transposed.Upload<float>(device, buffers), texp);
        log.Compare($"map exp transposed (150, 140) on {device}", Widen(texp.ToArray()),
            HostView.Round<float>(transposed.Logical().Select(Math.Exp)), tolerance);

        var a = HostView.Contiguous(values, 350, 200);
        var b = HostView.Contiguous(values.Reverse().ToArray(), 200);
        var sum = buffers.Rent<float>(device, a.Size);
        Primitives.Zip<float, AddOp>(a.Upload<float>(device, buffers), b.Upload<float>(device, buffers), sum);
        var expected = HostView.Indices([350, 200]).Select(i => a.At(i) + b.At(i));
        log.Compare($"zip add (350, 200)·(200,) on {device}", Widen(sum.ToArray()), HostView.Round<float>(expected),
            tolerance);

        var c = HostView.Contiguous(values, 70_000);
        var product = buffers.Rent<float>(device, c.Size);
        var cv = c.Upload<float>(device, buffers);
        Primitives.Zip<float, MulOp>(cv, cv, product);
        log.Compare($"zip mul (70000,) on {device}", Widen(product.ToArray()),
            HostView.Round<float>(values.Select(v => v * v)), tolerance);
        log.AssertNone();
    }

    [Fact]
    public void Every_operator_struct_has_a_case()
    {
        var assembly = typeof(IUnaryOp<>).Assembly;
        var unary = assembly.GetTypes()
            .Where(t => t.IsValueType && !t.IsGenericTypeDefinition && typeof(IUnaryOp<float>).IsAssignableFrom(t))
            .Select(t => t.Name).Order().ToArray();
        Assert.Equal(unary, UnaryCases.Select(c => c.OpType.Name).Distinct().Order().ToArray());
        Assert.True(UnaryCases.All(c => c.OpType.IsAssignableTo(typeof(IUnaryOp<double>))));
        var binary = assembly.GetTypes()
            .Where(t => t.IsValueType && typeof(IBinaryOp<float>).IsAssignableFrom(t))
            .Select(t => t.Name).Order().ToArray();
        Assert.Equal(binary, BinaryCases.Select(c => c.OpType.Name).Order().ToArray());
    }

    [Fact]
    public void Zip_rejects_shapes_that_do_not_broadcast_naming_both()
    {
        var cpu = Device.Cpu;
        using var buffers = new BufferSet();
        var a = StridedView.Contiguous(buffers.Rent<float>(cpu, 12), 3, 4);
        var b = StridedView.Contiguous(buffers.Rent<float>(cpu, 12), 4, 3);
        var e = Assert.Throws<ArgumentException>(
            () => Primitives.Zip<float, AddOp>(a, b, buffers.Rent<float>(cpu, 12)));
        Assert.Contains("(3, 4)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(4, 3)", e.Message, StringComparison.Ordinal);

        var row = StridedView.Contiguous(buffers.Rent<float>(cpu, 5), 5);
        e = Assert.Throws<ArgumentException>(() => Primitives.Zip<float, MulOp>(a, row, buffers.Rent<float>(cpu, 12)));
        Assert.Contains("(3, 4)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(5,)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Elementwise_outputs_of_the_wrong_size_are_rejected_naming_the_shape()
    {
        var cpu = Device.Cpu;
        using var buffers = new BufferSet();
        var a = StridedView.Contiguous(buffers.Rent<float>(cpu, 12), 3, 4);
        var column = StridedView.Contiguous(buffers.Rent<float>(cpu, 3), 3, 1);
        var e = Assert.Throws<ArgumentException>(() => Primitives.Map<float, ExpOp>(a, buffers.Rent<float>(cpu, 11)));
        Assert.Contains("(3, 4)", e.Message, StringComparison.Ordinal);
        Assert.Contains("11", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(
            () => Primitives.Zip<float, AddOp>(a, column, buffers.Rent<float>(cpu, 3)));
        Assert.Contains("(3, 4)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Broadcasts_beyond_the_kernels_rank_limit_are_rejected()
    {
        var cpu = Device.Cpu;
        using var buffers = new BufferSet();
        var a = StridedView.Contiguous(buffers.Rent<float>(cpu, 2), 2, 1, 1, 1, 1, 1, 1);
        var b = StridedView.Contiguous(buffers.Rent<float>(cpu, 2), 2);
        var e = Assert.Throws<ArgumentException>(() => Primitives.Zip<float, AddOp>(a, b, buffers.Rent<float>(cpu, 4)));
        Assert.Contains("rank 7", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Operands_on_two_devices_are_rejected()
    {
        var other = Device.Available.FirstOrDefault(d => d.Kind != DeviceKind.Cpu);
        if (other is null)
        {
            Assert.Skip($"needs a second device: {Device.WhyUnavailable(DeviceKind.OpenCL)}; " +
                        $"{Device.WhyUnavailable(DeviceKind.Cuda)}");
        }
        using var buffers = new BufferSet();
        var onCpu = StridedView.Contiguous(buffers.Rent<float>(Device.Cpu, 3), 3);
        var onOther = StridedView.Contiguous(buffers.Rent<float>(other, 3), 3);
        var e = Assert.Throws<ArgumentException>(
            () => Primitives.Zip<float, AddOp>(onCpu, onOther, buffers.Rent<float>(Device.Cpu, 3)));
        Assert.Contains("different devices", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(
            () => Primitives.Map<float, ExpOp>(onOther, buffers.Rent<float>(Device.Cpu, 3)));
    }

    private static void CheckMap<T>(Device device, UnaryCase op, Action<StridedView<T>, DeviceBuffer<T>> map,
        Tolerance tolerance, Mismatches log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = HostView.Round<T>(Inputs(op.Domain, op.Specials, op.Name));
        foreach (var (viewName, make) in MapViews)
        {
            var host = make(values);
            string context = $"map {op.Name} {typeof(T).Name} {viewName} {host} on {device}";
            log.Run(context, () =>
            {
                using var buffers = new BufferSet();
                var y = buffers.Rent<T>(device, host.Size);
                map(host.Upload<T>(device, buffers), y);
                var input = host.Logical();
                var expected = HostView.Round<T>(input.Select(op.Reference));
                log.Compare(context, Widen(y.ToArray()), expected, tolerance, i => Show("x", input[i]));
            });
        }
    }

    private static void CheckZip<T>(Device device, BinaryCase op,
        Action<StridedView<T>, StridedView<T>, DeviceBuffer<T>> zip, Tolerance tolerance, Mismatches log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var aValues = HostView.Round<T>(Inputs(op.A, op.Specials.Select(p => p.A).ToArray(), op.Name));
        var bValues = HostView.Round<T>(Inputs(op.B, op.Specials.Select(p => p.B).ToArray(), op.Name + "b"));
        foreach (var (viewName, makeA, makeB) in ZipViews)
        {
            var a = makeA(aValues);
            var b = makeB(bValues);
            string context = $"zip {op.Name} {typeof(T).Name} {viewName}: {a} with {b} on {device}";
            log.Run(context, () =>
            {
                using var buffers = new BufferSet();
                int[] shape = HostView.BroadcastShape(a.Shape, b.Shape);
                var indices = HostView.Indices(shape).ToArray();
                var c = buffers.Rent<T>(device, indices.Length);
                zip(a.Upload<T>(device, buffers), b.Upload<T>(device, buffers), c);
                var expected = HostView.Round<T>(indices.Select(i => op.Reference(a.At(i), b.At(i))));
                log.Compare(context, Widen(c.ToArray()), expected, tolerance,
                    i => $"{Show("a", a.At(indices[i]))}, {Show("b", b.At(indices[i]))}");
            });
        }
    }

    /// <summary>Specials first (the contiguous and same-shape cases pair them up), then 128 draws from the domain.
    /// </summary>
    private static double[] Inputs(Domain domain, double[] specials, string name)
    {
        var random = new Random(name.Aggregate(17, (h, c) => h * 31 + c));
        return [.. specials, .. Enumerable.Range(0, 128).Select(_ => domain.Next(random))];
    }

    private static double[] Widen<T>(T[] values) where T : INumberBase<T> =>
        values.Select(double.CreateTruncating).ToArray();

    private static string Show(string name, double value) =>
        string.Create(CultureInfo.InvariantCulture, $"{name} = {value:R}");
}
