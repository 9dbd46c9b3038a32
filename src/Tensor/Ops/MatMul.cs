using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// The matrix product with torch.matmul's rules: 1-D·1-D is a dot product (a zero-dimensional result); 2-D·2-D a
    /// matrix product; a 1-D left operand is treated as a row (a 1 prepended, removed from the result) and a 1-D right
    /// operand as a column (a 1 appended, removed); higher ranks are batches of matrices whose batch dimensions
    /// broadcast, e.g. (2, 1, 3, 4)·(5, 4, 2) → (2, 5, 3, 2).
    /// </summary>
    /// <remarks>
    /// C = A·B, Cᵢⱼ = Σₖ AᵢₖBₖⱼ per batch. ∂L/∂A = G·Bᵀ, ∂L/∂B = Aᵀ·G, each summed back over the batch dimensions
    /// that were broadcast. Transposes are strides passed to the kernel, never copies, and the backward is made of
    /// matrix products itself, so it is differentiable again.
    /// </remarks>
    /// <param name="other">The right operand, same device and dtype.</param>
    /// <returns>A new tensor with the shape torch.matmul gives.</returns>
    /// <exception cref="ArgumentException">
    /// An operand is zero-dimensional, the inner dimensions differ, the batch dimensions do not broadcast, or the
    /// operands' devices or dtypes differ.
    /// </exception>
    public Tensor MatMul(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Rank == 0 || other.Rank == 0)
        {
            throw new ArgumentException(
                $"matmul needs operands of rank ≥ 1, got shapes {Shapes.Format(_shape)} and " +
                $"{Shapes.Format(other._shape)}; multiply by a scalar with * instead");
        }
        int k = _shape[^1];
        int otherK = other.Rank == 1 ? other._shape[0] : other._shape[^2];
        if (k != otherK)
        {
            throw new ArgumentException(
                $"matmul: shapes {Shapes.Format(_shape)} and {Shapes.Format(other._shape)} do not fit: the left has " +
                $"{k} columns (last dimension), the right {otherK} rows " +
                $"({(other.Rank == 1 ? "its only" : "second-to-last")} dimension)");
        }
        CheckCompatible(this, other, "matmul");
        var a = Rank == 1 ? Reshape(1, k) : this;
        var b = other.Rank == 1 ? other.Reshape(k, 1) : other;
        var c = MatMulT(a, b, transposeA: false, transposeB: false);
        if (Rank > 1 && other.Rank > 1)
        {
            return c;
        }
        // Drop the 1 that stood in for a vector operand: the row dimension (−2) and/or the column dimension (−1).
        var shape = new List<int>(c._shape);
        if (other.Rank == 1)
        {
            shape.RemoveAt(shape.Count - 1);
        }
        if (Rank == 1)
        {
            shape.RemoveAt(shape.Count - (other.Rank == 1 ? 1 : 2));
        }
        return c.Reshape([.. shape]);
    }

    // The graph's name of each product, without and with a bias, per Epilogue value (constants: no string per op).
    private static readonly string[][] MatMulNames =
    [
        ["matmul", "matmul_relu", "matmul_tanh", "matmul_sigmoid"],
        ["addmm", "addmm_relu", "addmm_tanh", "addmm_sigmoid"],
    ];

    /// <summary>
    /// C = op(A)·op(B) (+ bias) for operands of rank ≥ 2, op the transpose of the last two dimensions where flagged,
    /// batch dimensions broadcast, a bias of shape [N] added to every row in the same launch, and with an
    /// <paramref name="activation"/> C = act(op(A)·op(B) + bias), also in that launch (nn.Linear then nn.ReLU, Tanh or
    /// Sigmoid); recorded with its own backward, which consists of such products again.
    /// </summary>
    /// <remarks>
    /// With G = ∂L/∂C: C = A·B gives ∂A = G·Bᵀ, ∂B = Aᵀ·G; C = A·Bᵀ gives ∂A = G·B, ∂B = Gᵀ·A; C = Aᵀ·B gives
    /// ∂A = B·Gᵀ, ∂B = A·G; C = Aᵀ·Bᵀ gives ∂A = Bᵀ·Gᵀ, ∂B = Gᵀ·Aᵀ. Each is summed back over broadcast batch
    /// dimensions; the bias's gradient is G summed over every dimension but the last. With an activation, G is first
    /// taken through its derivative, which each of the three gives from its output alone, as their own ops do:
    /// relu'(x) = [relu(x) &gt; 0], tanh' = 1 − tanh², σ' = σ·(1 − σ).
    /// </remarks>
    internal static Tensor MatMulT(Tensor a, Tensor b, bool transposeA, bool transposeB, Tensor? bias = null,
        Epilogue activation = Epilogue.None)
    {
        var c = BatchedMatMul(a, b, transposeA, transposeB, bias, activation);
        string op = MatMulNames[bias is null ? 0 : 1][(int)activation];
        return Record(c, op, bias is null ? [a, b] : [a, b, bias], gradC =>
        {
            // The activations' own backward rules, from the output (Relu.cs, Tanh.cs, Sigmoid.cs).
            var g = activation switch
            {
                Epilogue.Relu => ReluBackward(gradC, c),
                Epilogue.Tanh => TanhBackward(gradC, c),
                Epilogue.Sigmoid => SigmoidBackward(gradC, c),
                _ => gradC,
            };
            var da = a.RequiresGrad
                ? SumToShape(transposeA ? MatMulT(b, g, transposeB, true) : MatMulT(g, b, false, !transposeB), a._shape)
                : null;
            var db = b.RequiresGrad
                ? SumToShape(transposeB ? MatMulT(g, a, true, transposeA) : MatMulT(a, g, !transposeA, false), b._shape)
                : null;
            return bias is null ? [da, db] : [da, db, bias.RequiresGrad ? SumToShape(g, bias._shape) : null];
        });
    }
}

/// <summary>The activation a matrix product applies as it stores C (see <see cref="Tensor.MatMulT"/>).</summary>
internal enum Epilogue
{
    /// <summary>C as computed.</summary>
    None,

    /// <summary>max(C, 0).</summary>
    Relu,

    /// <summary>tanh C.</summary>
    Tanh,

    /// <summary>σ(C).</summary>
    Sigmoid,
}
