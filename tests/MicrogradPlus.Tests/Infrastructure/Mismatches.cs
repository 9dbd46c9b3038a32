using System.Globalization;
using System.Text;
using Xunit;

namespace MicrogradPlus.Tests.Infrastructure;

/// <summary>|actual − expected| ≤ Absolute + Relative·|expected|; NaN matches NaN, an infinity only itself.</summary>
public readonly record struct Tolerance(double Relative, double Absolute)
{
    /// <summary>Bit-for-bit (up to the sign of zero).</summary>
    public static Tolerance Exact => new(0, 0);

    /// <summary>
    /// Float32 kernels against a float64 reference. Plain arithmetic is correctly rounded everywhere; OpenCL allows
    /// exp/log/sqrt/division a few ulp, still far inside 1e-5. CUDA without libdevice compiles float exp/log to
    /// ex2.approx/lg2.approx (DESIGN.md): about 2 ulp relative for exp, but an absolute error near 1e-7 for log close
    /// to 1, where the result itself is tiny — hence the looser pair there for <paramref name="transcendental"/> ops.
    /// </summary>
    public static Tolerance F32(Device device, bool transcendental)
    {
        ArgumentNullException.ThrowIfNull(device);
        return device.Kind == DeviceKind.Cuda && transcendental ? new(1e-4, 1e-5) : new(1e-5, 1e-6);
    }

    /// <summary>
    /// Float64 kernels: exact arithmetic, and library exp/log within a few ulp (OpenCL allows 3–4 ulp in double, and
    /// ILGPU's CUDA double math is its own software implementation — allow it 1e-10).
    /// </summary>
    public static Tolerance F64(Device device, bool transcendental)
    {
        ArgumentNullException.ThrowIfNull(device);
        return device.Kind == DeviceKind.Cuda && transcendental ? new(1e-10, 1e-12) : new(1e-12, 1e-14);
    }

    /// <summary>Whether <paramref name="actual"/> is close enough to <paramref name="expected"/>.</summary>
    public bool Accepts(double actual, double expected)
    {
        if (double.IsNaN(expected) || double.IsNaN(actual))
        {
            return double.IsNaN(expected) && double.IsNaN(actual);
        }
        if (double.IsInfinity(expected) || double.IsInfinity(actual))
        {
            return actual == expected;
        }
        return Math.Abs(actual - expected) <= Absolute + Relative * Math.Abs(expected);
    }

    /// <summary>The same tolerance widened by a factor.</summary>
    public Tolerance Times(double factor) => new(Relative * factor, Absolute * factor);

    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"rtol {Relative:G2}, atol {Absolute:G2}");
}

/// <summary>
/// Collects every mismatch of one test (many ops × shapes × paths) so one failure does not hide the others, and
/// reports each with its context: op, path, shape, device, element, input, expected and actual values.
/// </summary>
public sealed class Mismatches
{
    private const int MaxReported = 25;
    private readonly List<string> _messages = [];
    private int _count;

    /// <summary>How many checks failed.</summary>
    public int Count => _count;

    /// <summary>Records a failure.</summary>
    public void Add(string message)
    {
        _count++;
        if (_messages.Count < MaxReported)
        {
            _messages.Add(message);
        }
    }

    /// <summary>Runs one case, recording an unexpected exception as a failure of <paramref name="context"/>.</summary>
    public void Run(string context, Action check)
    {
        ArgumentNullException.ThrowIfNull(check);
        try
        {
            check();
        }
        catch (Exception e) when (e is not Xunit.Sdk.IAssertionException)
        {
            Add($"{context}: threw {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>
    /// Compares element by element; <paramref name="describe"/> adds the inputs of element i to the message.
    /// </summary>
    public void Compare(string context, IReadOnlyList<double> actual, IReadOnlyList<double> expected,
        Tolerance tolerance, Func<int, string>? describe = null)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(expected);
        if (actual.Count != expected.Count)
        {
            Add($"{context}: {actual.Count} elements, expected {expected.Count}");
            return;
        }
        int bad = 0;
        for (int i = 0; i < actual.Count; i++)
        {
            if (!tolerance.Accepts(actual[i], expected[i]))
            {
                if (bad++ < 3)
                {
                    string inputs = describe is null ? "" : $" for {describe(i)}";
                    Add(string.Create(CultureInfo.InvariantCulture,
                        $"{context}: element {i}{inputs}: got {actual[i]:R}, expected {expected[i]:R} ({tolerance})"));
                }
            }
        }
        if (bad > 3)
        {
            Add($"{context}: … and {bad - 3} more elements differ");
        }
    }

    /// <summary>Compares with a per-element tolerance (reductions and dot products scale theirs with Σ|x|).</summary>
    public void Compare(string context, IReadOnlyList<double> actual, IReadOnlyList<double> expected,
        Func<int, Tolerance> tolerance)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(tolerance);
        if (actual.Count != expected.Count)
        {
            Add($"{context}: {actual.Count} elements, expected {expected.Count}");
            return;
        }
        int bad = 0;
        for (int i = 0; i < actual.Count; i++)
        {
            var t = tolerance(i);
            if (!t.Accepts(actual[i], expected[i]) && bad++ < 3)
            {
                Add(string.Create(CultureInfo.InvariantCulture,
                    $"{context}: element {i}: got {actual[i]:R}, expected {expected[i]:R} ({t})"));
            }
        }
        if (bad > 3)
        {
            Add($"{context}: … and {bad - 3} more elements differ");
        }
    }

    /// <summary>Fails the test listing the recorded mismatches, if any.</summary>
    public void AssertNone()
    {
        if (_count == 0)
        {
            return;
        }
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{_count} mismatch(es):");
        foreach (string message in _messages)
        {
            text.Append('\n').Append(message);
        }
        if (_count > _messages.Count)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n… {_count - _messages.Count} more not shown");
        }
        Assert.Fail(text.ToString());
    }
}
