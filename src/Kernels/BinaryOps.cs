namespace MicrogradPlus.Kernels;

/// <summary>A (float, float) → float function applied element-wise by <see cref="ZipBody{TOp}"/>.</summary>
public interface IBinaryOp
{
    /// <summary>The function's value at (<paramref name="a"/>, <paramref name="b"/>).</summary>
    float Apply(float a, float b);
}

#pragma warning disable CS1591 // each operator is named for its function; the math is in the one-line body
public struct AddOp : IBinaryOp { public readonly float Apply(float a, float b) => a + b; }
public struct SubOp : IBinaryOp { public readonly float Apply(float a, float b) => a - b; }
public struct MulOp : IBinaryOp { public readonly float Apply(float a, float b) => a * b; }
public struct DivOp : IBinaryOp { public readonly float Apply(float a, float b) => a / b; }
public struct PowOp : IBinaryOp { public readonly float Apply(float a, float b) => DeviceMath.Pow(a, b); }
public struct MaximumOp : IBinaryOp { public readonly float Apply(float a, float b) => DeviceMath.Max(a, b); }
public struct MinimumOp : IBinaryOp { public readonly float Apply(float a, float b) => DeviceMath.Min(a, b); }

// Comparisons give 0 or 1, as floats, so masks multiply straight into gradients.
public struct GreaterOp : IBinaryOp { public readonly float Apply(float a, float b) => a > b ? 1f : 0f; }
public struct GreaterEqualOp : IBinaryOp { public readonly float Apply(float a, float b) => a >= b ? 1f : 0f; }
public struct LessOp : IBinaryOp { public readonly float Apply(float a, float b) => a < b ? 1f : 0f; }
public struct LessEqualOp : IBinaryOp { public readonly float Apply(float a, float b) => a <= b ? 1f : 0f; }
public struct EqualOp : IBinaryOp { public readonly float Apply(float a, float b) => a == b ? 1f : 0f; }
public struct NotEqualOp : IBinaryOp { public readonly float Apply(float a, float b) => a != b ? 1f : 0f; }
#pragma warning restore CS1591
