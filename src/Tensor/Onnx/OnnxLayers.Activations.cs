namespace MicrogradPlus.Nn;

// The activations that opset 17 has no single operator for (or whose operator computes another form than the
// library's kernel), composed from elementary nodes in the library's own form, branches included.
internal static partial class OnnxLayers
{
    // SELU's constants as the library's kernel rounds them to float32 (ONNX's defaults are the same to 8 digits).
    private const float SeluAlpha = (float)1.6732632423543772848170429916717;
    private const float SeluScale = (float)1.0507009873554804934193349852946;

    // Exact: x·Φ(x) = x·(1 + erf(x/√2))/2 (the Gelu operator only arrived with opset 20).
    // "tanh": ½x·(1 + tanh(√(2/π)·(x + 0.044715x³))).
    private static string Gelu(Module module, string path, OnnxGraphBuilder g, string x)
    {
        if (((Gelu)module).Approximate == "none")
        {
            var erf = g.Node("Erf", [g.Node("Div", [x, g.Constant(MathF.Sqrt(2f))])]);
            return g.Node("Mul", [g.Node("Mul", [x, g.Node("Add", [erf, g.Constant(1f)])]), g.Constant(0.5f)]);
        }
        var cube = g.Node("Mul", [g.Node("Mul", [x, x]), x]);
        var inner = g.Node("Add", [x, g.Node("Mul", [cube, g.Constant(0.044715f)])]);
        var tanh = g.Node("Tanh", [g.Node("Mul", [inner, g.Constant(0.7978845608028654f)])]);
        return g.Node("Mul", [g.Node("Mul", [x, g.Node("Add", [tanh, g.Constant(1f)])]), g.Constant(0.5f)]);
    }

    // z = βx; y = x where z > threshold, else softplus(z)/β — the library's branch, so a small threshold matches too.
    private static string Softplus(Module module, string path, OnnxGraphBuilder g, string x)
    {
        var layer = (Softplus)module;
        string z = layer.Beta == 1f ? x : g.Node("Mul", [x, g.Constant(layer.Beta)]);
        string smooth = g.Node("Softplus", [z]);
        if (layer.Beta != 1f)
        {
            smooth = g.Node("Div", [smooth, g.Constant(layer.Beta)]);
        }
        return g.Node("Where", [g.Node("Greater", [z, g.Constant(layer.Threshold)]), x, smooth]);
    }

    // λ·elu(x, α) with the library's α and λ (written out rather than left to the defaults).
    private static string Selu(Module module, string path, OnnxGraphBuilder g, string x) =>
        g.Node("Selu", [x], OnnxGraphBuilder.Attribute("alpha", SeluAlpha),
            OnnxGraphBuilder.Attribute("gamma", SeluScale));

    // log σ(x) = min(x, 0) − log(1 + e^(−|x|)), the library's overflow-free form (−softplus(−x) would rest on the
    // runtime's softplus staying finite for large arguments).
    private static string LogSigmoid(Module module, string path, OnnxGraphBuilder g, string x)
    {
        var exp = g.Node("Exp", [g.Node("Neg", [g.Node("Abs", [x])])]);
        var log = g.Node("Log", [g.Node("Add", [exp, g.Constant(1f)])]);
        return g.Node("Sub", [g.Node("Min", [x, g.Constant(0f)]), log]);
    }
}
