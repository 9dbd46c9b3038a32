using Xunit;

namespace MicrogradPlus.Tests.Tensor;

/// <summary>
/// micrograd's own test_engine.py, expression for expression, with the numbers PyTorch gives; then the ops micrograd
/// leaves to its lectures (tanh, exp, log) against finite differences.
/// </summary>
public class ValueTests
{
    private const double Tolerance = 1e-6;

    [Fact]
    public void Sanity_check_matches_pytorch()
    {
        var x = new Value(-4.0);
        var z = 2 * x + 2 + x;
        var q = z.Relu() + z * x;
        var h = (z * z).Relu();
        var y = h + q + q * x;
        y.Backward();

        // torch: y.data.item() == -20.0, x.grad.item() == 46.0 (exact in double arithmetic as well).
        Assert.Equal(-20.0, y.Data);
        Assert.Equal(46.0, x.Grad);
    }

    [Fact]
    public void More_ops_match_pytorch()
    {
        var a = new Value(-4.0);
        var b = new Value(2.0);
        var c = a + b;
        var d = a * b + b.Pow(3);
        c += c + 1;
        c += 1 + c + (-a);
        d += d * 2 + (b + a).Relu();
        d += 3 * d + (b - a).Relu();
        var e = c - d;
        var f = e.Pow(2);
        var g = f / 2.0;
        g += 10.0 / f;
        g.Backward();

        // torch, float64: g = 24.70408163265306, a.grad = 138.83381924198252, b.grad = 645.5772594752186.
        Assert.Equal(24.70408163265306, g.Data, Tolerance);
        Assert.Equal(138.83381924198252, a.Grad, Tolerance);
        Assert.Equal(645.5772594752186, b.Grad, Tolerance);
    }

    [Fact]
    public void More_ops_reference_numbers_follow_from_the_closed_form()
    {
        // The same expression by hand: c = 3a + 4b + 3, d = 12(ab + b³) + 4·relu(a + b) + relu(b − a),
        // e = c − d, g = e²/2 + 10/e². At a = −4, b = 2: a + b < 0 and b − a > 0, so relu(a + b) = 0 and
        // relu(b − a) = b − a; dg/de = e − 20/e³, de/da = 3 − (12b − 1), de/db = 4 − (12(a + 3b²) + 1).
        double a = -4.0, b = 2.0;
        double c = 3 * a + 4 * b + 3;
        double d = 12 * (a * b + b * b * b) + 4 * Math.Max(0, a + b) + Math.Max(0, b - a);
        double e = c - d;
        double g = e * e / 2 + 10 / (e * e);
        double dgde = e - 20 / (e * e * e);
        double dedA = 3 - (12 * b - 1);
        double dedB = 4 - (12 * (a + 3 * b * b) + 1);

        Assert.Equal((-1.0, 6.0, -7.0), (c, d, e));
        Assert.Equal(24.70408163265306, g, Tolerance);
        Assert.Equal(138.83381924198252, dgde * dedA, Tolerance);
        Assert.Equal(645.5772594752186, dgde * dedB, Tolerance);
    }

    [Theory]
    [InlineData(-1.3)]
    [InlineData(0.0)]
    [InlineData(0.7)]
    [InlineData(2.5)]
    public void Tanh_gradient_matches_finite_differences(double x0) =>
        AssertGradient(x => x.Tanh(), Math.Tanh, x0, Math.Tanh(x0));

    [Theory]
    [InlineData(-2.0)]
    [InlineData(0.0)]
    [InlineData(1.5)]
    public void Exp_gradient_matches_finite_differences(double x0) =>
        AssertGradient(x => x.Exp(), Math.Exp, x0, Math.Exp(x0));

    [Theory]
    [InlineData(0.2)]
    [InlineData(1.0)]
    [InlineData(7.5)]
    public void Log_gradient_matches_finite_differences(double x0) =>
        AssertGradient(x => x.Log(), Math.Log, x0, Math.Log(x0));

    [Fact]
    public void Composite_of_tanh_exp_log_matches_finite_differences()
    {
        // f(x, y) = tanh(x·y) + log(exp(x) + y²) − x / y
        static Value F(Value x, Value y) => (x * y).Tanh() + (x.Exp() + y.Pow(2)).Log() - x / y;
        static double Reference(double x, double y) => Math.Tanh(x * y) + Math.Log(Math.Exp(x) + y * y) - x / y;
        double x0 = 0.3, y0 = -1.7, eps = 1e-6;
        var x = new Value(x0);
        var y = new Value(y0);
        var f = F(x, y);
        f.Backward();

        Assert.Equal(Reference(x0, y0), f.Data, 1e-12);
        Assert.Equal((Reference(x0 + eps, y0) - Reference(x0 - eps, y0)) / (2 * eps), x.Grad, Tolerance);
        Assert.Equal((Reference(x0, y0 + eps) - Reference(x0, y0 - eps)) / (2 * eps), y.Grad, Tolerance);
    }

    [Fact]
    public void Value_used_twice_gets_both_contributions()
    {
        var a = new Value(3.0);
        var b = a + a;
        b.Backward();
        Assert.Equal(2.0, a.Grad);

        var c = new Value(5.0);
        var d = c * c;
        d.Backward();
        Assert.Equal(10.0, c.Grad);
    }

    [Fact]
    public void Scalar_operands_work_on_either_side()
    {
        var x = new Value(4.0);
        Assert.Equal(6.0, (x + 2).Data);
        Assert.Equal(6.0, (2 + x).Data);
        Assert.Equal(2.0, (x - 2).Data);
        Assert.Equal(-2.0, (2 - x).Data);
        Assert.Equal(8.0, (x * 2).Data);
        Assert.Equal(8.0, (2 * x).Data);
        Assert.Equal(2.0, (x / 2).Data);
        Assert.Equal(0.5, (2 / x).Data);
        Assert.Equal(-4.0, (-x).Data);
        Assert.Equal(64.0, x.Pow(3).Data);
        Assert.Equal(0.0, (-x).Relu().Data);
        Assert.Equal(4.0, x.Relu().Data);
    }

    [Fact]
    public void Division_and_subtraction_gradients()
    {
        var a = new Value(3.0);
        var b = new Value(-2.0);
        var y = a / b - b;
        y.Backward();
        Assert.Equal(-0.5, a.Grad, 1e-15);           // 1/b
        Assert.Equal(-3.0 / 4.0 - 1, b.Grad, 1e-15); // −a/b² − 1
    }

    [Fact]
    public void Long_chain_does_not_overflow_the_stack()
    {
        var x = new Value(1.0);
        var sum = new Value(0.0);
        for (int i = 0; i < 100_000; i++)
        {
            sum += x;
        }
        sum.Backward();
        Assert.Equal(100_000.0, sum.Data);
        Assert.Equal(100_000.0, x.Grad);
    }

    [Fact]
    public void Prints_like_micrograd()
    {
        var x = new Value(-4.0);
        var y = x * x;
        y.Backward();
        Assert.Equal("Value(data=16.0, grad=1.0)", y.ToString());
        Assert.Equal("Value(data=-4.0, grad=-8.0)", x.ToString());
        Assert.Equal("Value(data=0.5, grad=0.0, label=h)", new Value(0.5, "h").ToString());
        Assert.Equal("*", y.Op);
        Assert.Equal("**-1", x.Pow(-1).Op);
        Assert.Equal("", x.Op);
        Assert.Same(x, y.Children[0]);
    }

    private static void AssertGradient(Func<Value, Value> op, Func<double, double> reference, double x0,
        double expected)
    {
        const double eps = 1e-6;
        var x = new Value(x0);
        var y = op(x);
        y.Backward();
        Assert.Equal(expected, y.Data, 1e-15);
        double numeric = (reference(x0 + eps) - reference(x0 - eps)) / (2 * eps);
        Assert.Equal(numeric, x.Grad, Tolerance * Math.Max(1, Math.Abs(numeric)));
    }
}
