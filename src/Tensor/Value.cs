using System.Globalization;

namespace MicrogradPlus;

/// <summary>
/// A scalar with reverse-mode autograd: micrograd's <c>Value</c>, line for line. Each op builds its output with its
/// children and an op label and defines, right there, the closure that pushes the output's gradient to the children.
/// <see cref="Backward"/> sorts the graph topologically and runs the closures in reverse. The teaching version of
/// <see cref="Tensor"/>, which works the same way on whole arrays.
/// </summary>
public sealed class Value
{
    private readonly Value[] _children;
    private Action _backward = () => { };

    /// <summary>A leaf holding <paramref name="data"/>, optionally named for printing.</summary>
    /// <param name="data">The value.</param>
    /// <param name="label">A name shown by <see cref="ToString"/>, or null.</param>
    /// <example>
    /// micrograd's first example: d = a·(a + b), so ∂d/∂a = 2a + b.
    /// <code>
    /// var a = new Value(2);
    /// var b = new Value(3);
    /// var d = a * (a + b);
    /// d.Backward();
    /// // d.Data = 10, a.Grad = 7, b.Grad = 2
    /// </code>
    /// </example>
    public Value(double data, string? label = null)
        : this(data, [], "")
    {
        Label = label;
    }

    private Value(double data, Value[] children, string op)
    {
        Data = data;
        _children = children;
        Op = op;
    }

    /// <summary>The number this node holds (settable, as micrograd's optimizer step does).</summary>
    public double Data { get; set; }

    /// <summary>∂(output of the last <see cref="Backward"/>)/∂(this); accumulates, set it to 0 to reset.</summary>
    public double Grad { get; set; }

    /// <summary>The op that produced this node ("+", "*", "**2", "ReLU", …); empty for a leaf.</summary>
    public string Op { get; }

    /// <summary>An optional name for printing graphs.</summary>
    public string? Label { get; set; }

    /// <summary>The nodes this one was computed from.</summary>
    public IReadOnlyList<Value> Children => _children;

    /// <summary>a + b.</summary>
    /// <remarks>∂/∂a = 1, ∂/∂b = 1.</remarks>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    /// <returns>A new value whose parents are <paramref name="a"/> and <paramref name="b"/>.</returns>
    public static Value operator +(Value a, Value b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var output = new Value(a.Data + b.Data, [a, b], "+");
        output._backward = () =>
        {
            a.Grad += output.Grad;
            b.Grad += output.Grad;
        };
        return output;
    }

    /// <summary>a · b.</summary>
    /// <remarks>∂/∂a = b, ∂/∂b = a.</remarks>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    /// <returns>A new value whose parents are <paramref name="a"/> and <paramref name="b"/>.</returns>
    public static Value operator *(Value a, Value b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var output = new Value(a.Data * b.Data, [a, b], "*");
        output._backward = () =>
        {
            a.Grad += b.Data * output.Grad;
            b.Grad += a.Data * output.Grad;
        };
        return output;
    }

    /// <summary>xⁿ for a constant exponent n.</summary>
    /// <remarks>d/dx xⁿ = n·xⁿ⁻¹.</remarks>
    /// <param name="exponent">The constant exponent n (no gradient flows to it).</param>
    /// <returns>A new value whose parent is this one.</returns>
    public Value Pow(double exponent)
    {
        string op = "**" + exponent.ToString(CultureInfo.InvariantCulture);
        var output = new Value(Math.Pow(Data, exponent), [this], op);
        output._backward = () => Grad += exponent * Math.Pow(Data, exponent - 1) * output.Grad;
        return output;
    }

    /// <summary>max(0, x).</summary>
    /// <remarks>d/dx = 1 where the output is positive, else 0.</remarks>
    /// <returns>A new value whose parent is this one.</returns>
    public Value Relu()
    {
        var output = new Value(Data < 0 ? 0 : Data, [this], "ReLU");
        output._backward = () => Grad += (output.Data > 0 ? 1 : 0) * output.Grad;
        return output;
    }

    /// <summary>tanh x.</summary>
    /// <remarks>d/dx tanh x = 1 − tanh² x: the backward reuses the output.</remarks>
    /// <returns>A new value whose parent is this one.</returns>
    public Value Tanh()
    {
        var output = new Value(Math.Tanh(Data), [this], "tanh");
        output._backward = () => Grad += (1 - output.Data * output.Data) * output.Grad;
        return output;
    }

    /// <summary>eˣ.</summary>
    /// <remarks>d/dx eˣ = eˣ: the backward reuses the output.</remarks>
    /// <returns>A new value whose parent is this one.</returns>
    public Value Exp()
    {
        var output = new Value(Math.Exp(Data), [this], "exp");
        output._backward = () => Grad += output.Data * output.Grad;
        return output;
    }

    /// <summary>ln x (NaN below 0, −∞ at 0).</summary>
    /// <remarks>d/dx ln x = 1/x.</remarks>
    /// <returns>A new value whose parent is this one.</returns>
    public Value Log()
    {
        var output = new Value(Math.Log(Data), [this], "log");
        output._backward = () => Grad += output.Grad / Data;
        return output;
    }

    /// <summary>
    /// Sets this node's gradient to 1 and adds ∂this/∂v to <see cref="Grad"/> of every node v it depends on.
    /// Gradients accumulate (a node used twice gets both contributions; so do repeated calls).
    /// </summary>
    /// <example>
    /// <code>
    /// var x = new Value(3);
    /// var y = x * x + x;     // y = x² + x
    /// y.Backward();          // x.Grad = 2x + 1 = 7
    /// </code>
    /// </example>
    public void Backward()
    {
        // Topological order: a node comes after all of its children (micrograd's build_topo, with an explicit
        // stack instead of recursion so that long chains, like a running sum, cannot overflow the call stack).
        var topo = new List<Value>();
        var visited = new HashSet<Value>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Value Node, bool ChildrenDone)>();
        stack.Push((this, false));
        while (stack.Count > 0)
        {
            var (node, childrenDone) = stack.Pop();
            if (childrenDone)
            {
                topo.Add(node);
            }
            else if (visited.Add(node))
            {
                stack.Push((node, true));
                foreach (var child in node._children)
                {
                    stack.Push((child, false));
                }
            }
        }
        Grad = 1;
        for (int i = topo.Count - 1; i >= 0; i--)
        {
            topo[i]._backward();
        }
    }

    /// <summary>micrograd's repr: <c>Value(data=-20.0, grad=46.0)</c>, plus the label when there is one.</summary>
    /// <returns>The value as micrograd prints it.</returns>
    public override string ToString() => Label is null
        ? $"Value(data={Format(Data)}, grad={Format(Grad)})"
        : $"Value(data={Format(Data)}, grad={Format(Grad)}, label={Label})";

    // Everything below is one line on top of +, * and Pow, as in micrograd.

    /// <summary>a + s.</summary>
    /// <param name="a">The value.</param>
    /// <param name="s">The constant added.</param>
    /// <returns>A new value in the graph.</returns>
    public static Value operator +(Value a, double s) => a + new Value(s);

    /// <summary>s + a.</summary>
    /// <param name="s">The constant added.</param>
    /// <param name="a">The value.</param>
    /// <returns>A new value in the graph.</returns>
    public static Value operator +(double s, Value a) => new Value(s) + a;

    /// <summary>a · s.</summary>
    /// <param name="a">The value.</param>
    /// <param name="s">The constant factor.</param>
    /// <returns>A new value in the graph.</returns>
    public static Value operator *(Value a, double s) => a * new Value(s);

    /// <summary>s · a.</summary>
    /// <param name="s">The constant factor.</param>
    /// <param name="a">The value.</param>
    /// <returns>A new value in the graph.</returns>
    public static Value operator *(double s, Value a) => new Value(s) * a;

    /// <summary>−a = a · (−1).</summary>
    /// <param name="a">The value to negate.</param>
    /// <returns>A new value in the graph.</returns>
    public static Value operator -(Value a) => a * -1;

    /// <summary>a − b = a + (−b).</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    /// <returns>A new value in the graph.</returns>
    public static Value operator -(Value a, Value b) => a + (-b);

    /// <summary>a − s = a + (−s).</summary>
    /// <param name="a">The value.</param>
    /// <param name="s">The constant subtracted.</param>
    /// <returns>A new value in the graph.</returns>
    public static Value operator -(Value a, double s) => a + (-s);

    /// <summary>s − a = s + (−a).</summary>
    /// <param name="s">The constant.</param>
    /// <param name="a">The value subtracted from it.</param>
    /// <returns>A new value in the graph.</returns>
    public static Value operator -(double s, Value a) => s + (-a);

    /// <summary>a / b = a · b⁻¹.</summary>
    /// <param name="a">The dividend.</param>
    /// <param name="b">The divisor.</param>
    /// <returns>A new value in the graph.</returns>
    public static Value operator /(Value a, Value b)
    {
        ArgumentNullException.ThrowIfNull(b);
        return a * b.Pow(-1);
    }

    /// <summary>a / s = a · s⁻¹.</summary>
    /// <param name="a">The dividend.</param>
    /// <param name="s">The constant divisor.</param>
    /// <returns>A new value in the graph.</returns>
    public static Value operator /(Value a, double s) => a / new Value(s);

    /// <summary>s / a = s · a⁻¹.</summary>
    /// <param name="s">The constant dividend.</param>
    /// <param name="a">The divisor.</param>
    /// <returns>A new value in the graph.</returns>
    public static Value operator /(double s, Value a) => new Value(s) / a;

    /// <summary>Python's float repr: shortest round-trip digits, with ".0" on whole numbers.</summary>
    private static string Format(double x)
    {
        string text = x.ToString(CultureInfo.InvariantCulture);
        return double.IsFinite(x) && !text.Contains('.', StringComparison.Ordinal) &&
               !text.Contains('E', StringComparison.Ordinal)
            ? text + ".0"
            : text;
    }
}
