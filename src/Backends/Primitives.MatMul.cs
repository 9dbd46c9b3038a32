using System.Diagnostics;
using System.Numerics;
using ILGPU;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

internal static partial class Primitives
{
    /// <summary>
    /// Batched matrix product C = op(A)·op(B) (+ bias), op = transpose where flagged. A is [..., M, K] ([..., K, M]
    /// when transposed), B is [..., K, N] ([..., N, K]); batch dimensions broadcast; C is contiguous
    /// [broadcast batch..., M, N]. A <paramref name="bias"/> of shape [N] is added to every row of C in the same
    /// launch (torch.addmm). Transposes and broadcasts are strides only: nothing is copied.
    /// </summary>
    public static void MatMul<T>(StridedView<T> a, StridedView<T> b, DeviceBuffer<T> c, bool transposeA = false,
        bool transposeB = false, MatMulKernel kernel = MatMulKernel.Auto, StridedView<T>? bias = null)
        where T : unmanaged, INumber<T> =>
        MatMul<T, NoActivation<T>>(a, b, c, transposeA, transposeB, kernel, bias);

    /// <summary>
    /// <see cref="MatMul{T}(StridedView{T}, StridedView{T}, DeviceBuffer{T}, bool, bool, MatMulKernel,
    /// StridedView{T}?)"/> with every element of C through the activation <typeparamref name="TAct"/> (a unary
    /// operator such as <see cref="ReluOp"/>) as the kernel stores it: C = act(op(A)·op(B) + bias), nn.Linear and the
    /// activation after it in one launch (one more after cuBLAS; on the CPU device the activation's own loop over C).
    /// Equal bit for bit to the product followed by the activation as an op of its own.
    /// </summary>
    public static void MatMul<T, TAct>(StridedView<T> a, StridedView<T> b, DeviceBuffer<T> c, bool transposeA = false,
        bool transposeB = false, MatMulKernel kernel = MatMulKernel.Auto, StridedView<T>? bias = null)
        where T : unmanaged, INumber<T>
        where TAct : struct, IUnaryOp<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        RequireSameDevice(a.Device, b.Device, "matmul");
        int[] outShape = MatMulShape(a.Shape, b.Shape, transposeA, transposeB);
        RequireOutput(c, Shapes.Size(outShape), outShape, a.Device, "matmul");
        if (bias is not null)
        {
            RequireSameDevice(a.Device, bias.Device, "matmul bias");
            if (bias.Rank != 1 || bias.Shape[0] != outShape[^1])
            {
                throw new ArgumentException(
                    $"matmul bias of shape {Shapes.Format(bias.Shape)} does not fit the product of " +
                    $"{Shapes.Format(a.Shape)} and {Shapes.Format(b.Shape)}: it needs shape {Shapes.Format([outShape[^1]])}, " +
                    "one value per output column");
            }
        }
        MatMul<T, TAct>(a, b, outShape, c, transposeA, transposeB, kernel, bias);
    }

    /// <summary>
    /// <see cref="MatMul{T, TAct}(StridedView{T}, StridedView{T}, DeviceBuffer{T}, bool, bool, MatMulKernel,
    /// StridedView{T}?)"/> for a caller that has checked the operands (one device, fitting shapes, a bias of [N]) and
    /// computed the output shape (<see cref="MatMulShape"/>): it only forwards.
    /// </summary>
    public static void MatMul<T, TAct>(StridedView<T> a, StridedView<T> b, int[] outShape, DeviceBuffer<T> c,
        bool transposeA, bool transposeB, MatMulKernel kernel = MatMulKernel.Auto, StridedView<T>? bias = null)
        where T : unmanaged, INumber<T>
        where TAct : struct, IUnaryOp<T>
    {
        Debug.Assert(ReferenceEquals(a.Device, b.Device) && c.Length == Shapes.Size(outShape) &&
                     (bias is null || bias.Shape[0] == outShape[^1]), "MatMul: operands the caller should have checked");
        if (a.Size == 0 || b.Size == 0)
        {
            // C is empty, or K = 0 and C is zeros (plus the bias, through the activation). An empty operand may sit in
            // an empty buffer, where not even its batch view (one matrix at offset 0) can be built.
            Fill(c, T.Zero);
            FinishEmpty<T, TAct>(c, bias, outShape[^1]);
            return;
        }
        var s = Geometry(a, b, transposeA, transposeB, outShape);
        // Without a bias the kernels still take a view for it (never read): C's.
        var biasView = c.View;
        if (bias is not null && s.N > 0)
        {
            s.HasBias = 1;
            s.BiasOffset = bias.Offset;
            s.BiasStride = bias.Strides[0];
            biasView = bias.Buffer.View;
        }
        a.Device.Executor.MatMul<T, TAct>(new MatMulOperands<T>(a, b, c, bias, biasView, s), kernel);
    }

    /// <summary>
    /// For empty products (K = 0), where C is zeros: c[..., n] += bias[n] over C seen as rows of
    /// <paramref name="n"/>, then the activation as its own op would run it (sigmoid of zeros is not zeros).
    /// </summary>
    private static void FinishEmpty<T, TAct>(DeviceBuffer<T> c, StridedView<T>? bias, int n)
        where T : unmanaged, INumber<T>
        where TAct : struct, IUnaryOp<T>
    {
        if (c.Length == 0)
        {
            return;
        }
        if (bias is not null)
        {
            var rows = new MatMulShape { N = n, HasBias = 1, BiasOffset = bias.Offset, BiasStride = bias.Strides[0] };
            c.Device.Executor.Run(new MatMulEpilogueBody<T, NoActivation<T>>(c.View, bias.Buffer.View, rows),
                checked((int)c.Length));
        }
        if (typeof(TAct) != typeof(NoActivation<T>))
        {
            Map<T, TAct>(StridedView.Contiguous(c, [checked((int)c.Length)]), c);
        }
    }

    /// <summary>
    /// The geometry the matmul kernels read: batch count, M, N, K, the batch layouts and the row and column strides
    /// of both operands (after the transpose flags). Operands must be non-empty with fitting shapes.
    /// </summary>
    public static MatMulShape MatMulGeometry<T>(StridedView<T> a, StridedView<T> b, bool transposeA = false,
        bool transposeB = false) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return Geometry(a, b, transposeA, transposeB, MatMulShape(a.Shape, b.Shape, transposeA, transposeB));
    }

    private static MatMulShape Geometry<T>(StridedView<T> a, StridedView<T> b, bool transposeA, bool transposeB,
        int[] outShape) where T : unmanaged
    {
        int[] batchShape = outShape[..^2];
        var aBatch = new StridedView<T>(a.Buffer, a.Shape[..^2], a.Strides[..^2], a.Offset).Expand(batchShape);
        var bBatch = new StridedView<T>(b.Buffer, b.Shape[..^2], b.Strides[..^2], b.Offset).Expand(batchShape);
        return new MatMulShape
        {
            Batch = Shapes.Size(batchShape),
            M = outShape[^2],
            N = outShape[^1],
            K = transposeA ? a.Shape[^2] : a.Shape[^1],
            BatchA = Walks.LayoutOf(aBatch),
            BatchB = Walks.LayoutOf(bBatch),
            ARowStride = transposeA ? a.Strides[^1] : a.Strides[^2],
            AColStride = transposeA ? a.Strides[^2] : a.Strides[^1],
            BRowStride = transposeB ? b.Strides[^1] : b.Strides[^2],
            BColStride = transposeB ? b.Strides[^2] : b.Strides[^1],
        };
    }

    /// <summary>The output shape of a matrix product; throws naming both shapes when they do not fit.</summary>
    public static int[] MatMulShape(int[] a, int[] b, bool transposeA = false, bool transposeB = false)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Length < 2 || b.Length < 2)
        {
            throw new ArgumentException(
                $"matmul kernel needs operands of rank ≥ 2, got {Shapes.Format(a)} and {Shapes.Format(b)}");
        }
        int m = transposeA ? a[^1] : a[^2], ka = transposeA ? a[^2] : a[^1];
        int kb = transposeB ? b[^1] : b[^2], n = transposeB ? b[^2] : b[^1];
        if (ka != kb)
        {
            throw new ArgumentException(
                $"matmul inner dimensions differ: {Shapes.Format(a)}{(transposeA ? "ᵀ" : "")} has {ka} columns, " +
                $"{Shapes.Format(b)}{(transposeB ? "ᵀ" : "")} has {kb} rows");
        }
        int[] batch;
        try
        {
            batch = Shapes.Broadcast(a.AsSpan(0, a.Length - 2), b.AsSpan(0, b.Length - 2));
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException(
                $"matmul batch dimensions of {Shapes.Format(a)} and {Shapes.Format(b)} do not broadcast: {e.Message}");
        }
        return [.. batch, m, n];
    }
}
