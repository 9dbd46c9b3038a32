using MicrogradPlus.Backends;

namespace MicrogradPlus;

/// <summary>Reverse-mode automatic differentiation: grad mode, gradients of arbitrary outputs, gradient checking.</summary>
public static partial class Autograd
{
    [ThreadStatic]
    private static int _noGradDepth;

    /// <summary>Whether ops record the graph on this thread.</summary>
    public static bool IsGradEnabled => _noGradDepth == 0;

    /// <summary>Turns graph recording off until disposed (torch.no_grad()).</summary>
    /// <returns>A handle that turns recording back on when disposed; scopes nest.</returns>
    /// <example>
    /// <code>
    /// using (Autograd.NoGrad())
    /// {
    ///     var predicted = model.Forward(x).ArgMaxIndices(1); // no graph recorded, nothing saved for backward
    /// }
    /// </code>
    /// </example>
    public static IDisposable NoGrad() => new GradMode();

    /// <summary>
    /// The gradients of <paramref name="output"/> with respect to <paramref name="inputs"/> (torch.autograd.grad),
    /// leaving every <see cref="Tensor.Grad"/> untouched. An input the output does not depend on gets zeros. With
    /// <paramref name="createGraph"/> the returned gradients are themselves differentiable.
    /// </summary>
    /// <param name="output">The tensor to differentiate.</param>
    /// <param name="inputs">The tensors to differentiate with respect to; each must require grad.</param>
    /// <param name="gradOutput">∂L/∂output, needed when <paramref name="output"/> has more than one element.</param>
    /// <param name="createGraph">Record the backward pass so the results can be differentiated again.</param>
    /// <param name="retainGraph">Keep the graph for another backward pass.</param>
    /// <returns>One gradient per input, in the inputs' order and shapes.</returns>
    public static Tensor[] Grad(Tensor output, Tensor[] inputs, Tensor? gradOutput = null, bool createGraph = false,
        bool retainGraph = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(inputs);
        foreach (var input in inputs)
        {
            if (!input.RequiresGrad)
            {
                throw new ArgumentException(
                    $"Autograd.Grad: an input of shape {Shapes.Format(input.ShapeRef)} does not require grad");
            }
        }
        var grads = Run(output, gradOutput, createGraph, retainGraph || createGraph);
        var result = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            // The caller may change what it gets in place: never hand out the device's constant seed itself.
            result[i] = !grads.TryGetValue(inputs[i], out var g)
                ? Tensor.Zeros(inputs[i].ShapeRef, inputs[i].Device, inputs[i].DType)
                : g.Storage.IsConstant ? g.Clone() : g;
        }
        return result;
    }

    /// <summary>
    /// Compares the analytic gradient of <paramref name="function"/> with central finite differences, in float64:
    /// inputs are converted to float64 copies, the output is projected on fixed random weights, and every input
    /// element is perturbed by ±<paramref name="eps"/>. Passes when |analytic − numeric| ≤ atol + rtol·|numeric| for
    /// every element; otherwise throws (or returns false) naming the worst element.
    /// </summary>
    /// <param name="function">The function to check, built from tensor ops.</param>
    /// <param name="inputs">The point to check at; copied to float64.</param>
    /// <param name="eps">The finite-difference step.</param>
    /// <param name="atol">The absolute tolerance.</param>
    /// <param name="rtol">The relative tolerance.</param>
    /// <param name="raiseException">Throw on a mismatch instead of returning false.</param>
    /// <returns>True when every element agrees within the tolerances.</returns>
    public static bool GradCheck(Func<Tensor[], Tensor> function, Tensor[] inputs, double eps = 1e-6,
        double atol = 1e-5, double rtol = 1e-3, bool raiseException = true)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(inputs);
        using var scope = Tensor.Scope();
        var x = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            using (NoGrad())
            {
                x[i] = Tensor.FromArray(inputs[i].ToDoubleArray(), inputs[i].ShapeRef, inputs[i].Device,
                    requiresGrad: true);
            }
        }
        var output = function(x);
        int outputSize = output.Size;
        var weights = Tensor.Randn(output.ShapeRef, seed: 0xC0FFEE, device: output.Device, dtype: DType.Float64);
        var projected = (output * weights).Sum();
        var analytic = Grad(projected, x).Select(g => g.ToDoubleArray()).ToArray();
        var weightValues = weights.ToDoubleArray();

        double Evaluate(int which, double[] data)
        {
            using var inner = Tensor.Scope();
            using var noGrad = NoGrad();
            var args = (Tensor[])x.Clone();
            args[which] = Tensor.FromArray(data, x[which].ShapeRef, x[which].Device);
            var values = function(args).ToDoubleArray();
            if (values.Length != outputSize)
            {
                throw new InvalidOperationException("GradCheck: the function's output size changed between calls");
            }
            double sum = 0;
            for (int k = 0; k < values.Length; k++)
            {
                sum += values[k] * weightValues[k];
            }
            return sum;
        }

        double worst = 0;
        string detail = "";
        for (int i = 0; i < x.Length; i++)
        {
            var data = x[i].ToDoubleArray();
            for (int j = 0; j < data.Length; j++)
            {
                double original = data[j];
                data[j] = original + eps;
                double plus = Evaluate(i, data);
                data[j] = original - eps;
                double minus = Evaluate(i, data);
                data[j] = original;
                double numeric = (plus - minus) / (2 * eps);
                double error = Math.Abs(analytic[i][j] - numeric);
                double excess = error / (atol + rtol * Math.Abs(numeric));
                if (excess > worst || double.IsNaN(error))
                {
                    worst = double.IsNaN(error) ? double.PositiveInfinity : excess;
                    detail = $"input {i} (shape {Shapes.Format(x[i].ShapeRef)}), element {j}: analytic " +
                             $"{analytic[i][j]:G10}, numeric {numeric:G10}";
                }
            }
        }
        if (worst <= 1)
        {
            return true;
        }
        if (raiseException)
        {
            throw new InvalidOperationException($"GradCheck failed at {detail} (atol {atol}, rtol {rtol})");
        }
        return false;
    }

    /// <summary>
    /// Runs backward from <paramref name="root"/> and returns the gradient reaching every tensor that requires grad
    /// (leaves and intermediates). Micrograd's algorithm: topological order, seed, rules in reverse, sums for fan-out.
    /// </summary>
    internal static Dictionary<Tensor, Tensor> Run(Tensor root, Tensor? seed, bool createGraph, bool retainGraph)
    {
        if (!root.RequiresGrad)
        {
            throw new InvalidOperationException(
                $"backward from a tensor of shape {Shapes.Format(root.ShapeRef)} that does not require grad: " +
                "no input of the computation had RequiresGrad set (or it ran under NoGrad)");
        }
        if (seed is null)
        {
            if (root.Size != 1)
            {
                throw new InvalidOperationException(
                    $"Backward() without a gradient needs a one-element output, got shape " +
                    $"{Shapes.Format(root.ShapeRef)}; pass a gradient of that shape or reduce first (e.g. Sum())");
            }
            seed = SeedOne(root);
        }
        else if (!seed.ShapeRef.AsSpan().SequenceEqual(root.ShapeRef))
        {
            throw new ArgumentException(
                $"gradient of shape {Shapes.Format(seed.ShapeRef)} does not match the output's shape " +
                $"{Shapes.Format(root.ShapeRef)}");
        }
        var order = TopologicalOrder(root);
        var grads = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance) { [root] = seed };
        using (createGraph ? null : NoGrad())
        {
            for (int i = order.Count - 1; i >= 0; i--)
            {
                var tensor = order[i];
                if (tensor.GradFn is not { } node || !grads.TryGetValue(tensor, out var gradOutput))
                {
                    continue;
                }
                var inputGrads = node.Apply(gradOutput);
                if (IsAnomalyDetectionEnabled)
                {
                    CheckFinite(node, inputGrads);
                }
                for (int k = 0; k < node.Inputs.Length; k++)
                {
                    var input = node.Inputs[k];
                    if (!input.RequiresGrad || inputGrads[k] is not { } g)
                    {
                        continue;
                    }
                    grads[input] = grads.TryGetValue(input, out var existing) ? existing + g : g;
                }
            }
        }
        if (!retainGraph)
        {
            foreach (var tensor in order)
            {
                tensor.GradFn?.Release();
            }
        }
        return grads;
    }

    /// <summary>
    /// Ones in the (one-element) shape of <paramref name="root"/>, the gradient a backward pass starts from: a view of
    /// the device's constant 1 (<see cref="Device.One{T}"/>), so it costs no launch. Its storage is constant, so no
    /// leaf takes it over as its gradient and <see cref="Grad"/> never hands it out (each gets a copy).
    /// </summary>
    private static Tensor SeedOne(Tensor root)
    {
        var storage = root.DType == DType.Float32
            ? new Storage(root.Device.One<float>(), constant: true)
            : new Storage(root.Device.One<double>(), constant: true);
        int[] shape = root.Shape;
        return new Tensor(storage, shape, Shapes.ContiguousStrides(shape), 0);
    }

    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor Tensor, bool Expanded)>();
        stack.Push((root, false));
        while (stack.Count > 0)
        {
            var (tensor, expanded) = stack.Pop();
            if (expanded)
            {
                order.Add(tensor);
                continue;
            }
            if (!visited.Add(tensor))
            {
                continue;
            }
            stack.Push((tensor, true));
            if (tensor.GradFn is { } node)
            {
                foreach (var input in node.Inputs)
                {
                    if (input.RequiresGrad && !visited.Contains(input))
                    {
                        stack.Push((input, false));
                    }
                }
            }
        }
        return order;
    }

    private sealed class GradMode : IDisposable
    {
        private bool _disposed;

        public GradMode() => _noGradDepth++;

        public void Dispose()
        {
            if (!_disposed)
            {
                _disposed = true;
                _noGradDepth--;
            }
        }
    }
}
