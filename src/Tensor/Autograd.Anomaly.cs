using System.Diagnostics;
using MicrogradPlus.Backends;

namespace MicrogradPlus;

public static partial class Autograd
{
    [ThreadStatic]
    private static int _anomalyDepth;

    /// <summary>Whether anomaly detection is on for this thread (see <see cref="DetectAnomaly"/>).</summary>
    public static bool IsAnomalyDetectionEnabled => _anomalyDepth > 0;

    /// <summary>
    /// Turns anomaly detection on until disposed (torch.autograd.detect_anomaly): ops recorded meanwhile note where
    /// they were called from, and a backward pass run meanwhile checks every gradient an op's rule returns, throwing
    /// at the first one holding NaN or ±∞ — naming the op, the input and where that op was called. Slow (each gradient
    /// is read back to the host): for debugging.
    /// </summary>
    /// <returns>A handle that turns anomaly detection off again when disposed.</returns>
    public static IDisposable DetectAnomaly() => new AnomalyMode();

    /// <summary>The first frame outside this library that led here: where the user called the op.</summary>
    internal static string CallerSite()
    {
        var library = typeof(Autograd).Assembly;
        foreach (var frame in new StackTrace(2, fNeedFileInfo: true).GetFrames())
        {
            if (frame.GetMethod() is not { } method || method.DeclaringType?.Assembly == library)
            {
                continue;
            }
            string where = $"{method.DeclaringType?.FullName}.{method.Name}";
            return frame.GetFileName() is { } file ? $"{where} in {file}:line {frame.GetFileLineNumber()}" : where;
        }
        return "(inside the library)";
    }

    /// <summary>Throws when a gradient <paramref name="node"/>'s rule returned holds NaN or an infinity.</summary>
    private static void CheckFinite(Node node, Tensor?[] grads)
    {
        for (int k = 0; k < grads.Length; k++)
        {
            if (grads[k] is not { } g)
            {
                continue;
            }
            var values = g.ToDoubleArray();
            int bad = Array.FindIndex(values, v => !double.IsFinite(v));
            if (bad < 0)
            {
                continue;
            }
            string kind = double.IsNaN(values[bad]) ? "nan" : "inf";
            string site = node.CreationSite is { } s ? $"; the forward '{node.Op}' was called at {s}" : "";
            throw new InvalidOperationException(
                $"Function '{node.Op}' backward returned {kind} values in its {k}th output (the gradient of input " +
                $"{k}, shape {Shapes.Format(g.ShapeRef)}, element {bad} is {values[bad]}){site}");
        }
    }

    private sealed class AnomalyMode : IDisposable
    {
        private bool _disposed;

        public AnomalyMode() => _anomalyDepth++;

        public void Dispose()
        {
            if (!_disposed)
            {
                _disposed = true;
                _anomalyDepth--;
            }
        }
    }
}
