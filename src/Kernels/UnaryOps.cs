namespace MicrogradPlus.Kernels;

/// <summary>A float → float function applied element-wise by <see cref="MapBody{TOp}"/>.</summary>
public interface IUnaryOp
{
    /// <summary>The function's value at <paramref name="x"/>.</summary>
    float Apply(float x);
}

#pragma warning disable CS1591 // each operator is named for its function; the math is in the one-line body
public struct IdentityOp : IUnaryOp { public readonly float Apply(float x) => x; }
public struct NegOp : IUnaryOp { public readonly float Apply(float x) => -x; }
public struct ExpOp : IUnaryOp { public readonly float Apply(float x) => MathF.Exp(x); }
public struct LogOp : IUnaryOp { public readonly float Apply(float x) => MathF.Log(x); }
public struct SqrtOp : IUnaryOp { public readonly float Apply(float x) => MathF.Sqrt(x); }
public struct AbsOp : IUnaryOp { public readonly float Apply(float x) => Math.Abs(x); }
public struct SigmoidOp : IUnaryOp { public readonly float Apply(float x) => DeviceMath.Sigmoid(x); }
public struct TanhOp : IUnaryOp { public readonly float Apply(float x) => DeviceMath.Tanh(x); }
public struct ReluOp : IUnaryOp { public readonly float Apply(float x) => x > 0f ? x : 0f; }
public struct GeluOp : IUnaryOp { public readonly float Apply(float x) => DeviceMath.Gelu(x); }
public struct SignOp : IUnaryOp { public readonly float Apply(float x) => x > 0f ? 1f : x < 0f ? -1f : x; }
public struct ReciprocalOp : IUnaryOp { public readonly float Apply(float x) => 1f / x; }
public struct SquareOp : IUnaryOp { public readonly float Apply(float x) => x * x; }

/// <summary>x if x &gt; 0, else α·x.</summary>
public struct LeakyReluOp(float alpha) : IUnaryOp
{
    public float Alpha = alpha;
    public readonly float Apply(float x) => x > 0f ? x : Alpha * x;
}

/// <summary>x^p for a scalar exponent p.</summary>
public struct PowScalarOp(float exponent) : IUnaryOp
{
    public float Exponent = exponent;
    public readonly float Apply(float x) => DeviceMath.Pow(x, Exponent);
}

/// <summary>x + c.</summary>
public struct AddScalarOp(float value) : IUnaryOp
{
    public float Value = value;
    public readonly float Apply(float x) => x + Value;
}

/// <summary>x · c.</summary>
public struct MulScalarOp(float value) : IUnaryOp
{
    public float Value = value;
    public readonly float Apply(float x) => x * Value;
}

/// <summary>c / x (a scalar divided by a tensor).</summary>
public struct ScalarDivOp(float value) : IUnaryOp
{
    public float Value = value;
    public readonly float Apply(float x) => Value / x;
}

/// <summary>c^x (a scalar raised to a tensor).</summary>
public struct ScalarPowOp(float value) : IUnaryOp
{
    public float Value = value;
    public readonly float Apply(float x) => DeviceMath.Pow(Value, x);
}

// Derivative helpers for backward passes.
/// <summary>relu'(x): 1 where x &gt; 0, else 0.</summary>
public struct ReluMaskOp : IUnaryOp { public readonly float Apply(float x) => x > 0f ? 1f : 0f; }

/// <summary>leaky_relu'(x): 1 where x &gt; 0, else α.</summary>
public struct LeakyReluMaskOp(float alpha) : IUnaryOp
{
    public float Alpha = alpha;
    public readonly float Apply(float x) => x > 0f ? 1f : Alpha;
}

/// <summary>gelu'(x) = Φ(x) + x·φ(x).</summary>
public struct GeluGradOp : IUnaryOp { public readonly float Apply(float x) => DeviceMath.GeluGrad(x); }
#pragma warning restore CS1591
