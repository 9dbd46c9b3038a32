using System.Numerics;
using ILGPU;
using ILGPU.Runtime.Cuda;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends;

/// <summary>
/// How one row-major product C = A·B (<see cref="MatMulShape"/>, strides and all) is handed to a column-major BLAS
/// GEMM. Row-major C is column-major Cᵀ, and Cᵀ = Bᵀ·Aᵀ, so the call is GEMM(opX, opY, N, M, K, X = Bᵀ, Y = Aᵀ, C,
/// ldc = N). Each operand is passed as the column-major matrix its memory already is — the operand itself (op N) or
/// its transpose (op T) — with its leading dimension; operands whose strides are neither (broadcast rows, steps in
/// both directions) have no plan and go to the library's own kernels.
/// </summary>
internal readonly record struct GemmPlan(bool TransposeX, int LeadingX, bool TransposeY, int LeadingY)
{
    /// <summary>The plan for <paramref name="s"/>, or false when an operand's layout does not fit a GEMM.</summary>
    public static bool TryCreate(in MatMulShape s, out GemmPlan plan)
    {
        plan = default;
        // X = Bᵀ is N×K with X(n, k) = B(k, n); Y = Aᵀ is K×M with Y(k, m) = A(m, k).
        if (!Describe(s.N, s.K, s.BColStride, s.BRowStride, out bool tx, out int ldx) ||
            !Describe(s.K, s.M, s.AColStride, s.ARowStride, out bool ty, out int ldy))
        {
            return false;
        }
        plan = new GemmPlan(tx, ldx, ty, ldy);
        return true;
    }

    /// <summary>
    /// Whether the rows×cols matrix at element (i, j) = i·rowStride + j·colStride is column-major (unit row stride;
    /// <paramref name="transposed"/> false) or the transpose of one (unit column stride), and its leading dimension.
    /// A stride along a dimension of length 1 is never used, so it may be anything.
    /// </summary>
    private static bool Describe(int rows, int cols, int rowStride, int colStride, out bool transposed, out int leading)
    {
        transposed = false;
        leading = cols == 1 ? Math.Max(1, rows) : colStride;
        if ((rows == 1 || rowStride == 1) && leading >= Math.Max(1, rows))
        {
            return true;
        }
        transposed = true;
        leading = rows == 1 ? Math.Max(1, cols) : rowStride;
        return (cols == 1 || colStride == 1) && leading >= Math.Max(1, cols);
    }
}

/// <summary>
/// cuBLAS on one CUDA device, through ILGPU.Algorithms' binding, on the device's stream (<c>Device.Stream</c>, the
/// one every kernel and copy of the library goes to, so no synchronisation is needed). Optional: created on first
/// use, and when the
/// library does not load the device remembers why and the own kernels run instead.
/// </summary>
internal sealed class CuBlasGemm : IDisposable
{
    private readonly CuBlas _blas;

    private CuBlasGemm(CuBlas blas) => _blas = blas;

    /// <summary>cuBLAS for this accelerator, or null with the reason it did not load.</summary>
    public static CuBlasGemm? TryCreate(CudaAccelerator accelerator, CudaStream stream, out string why)
    {
        try
        {
            var blas = new CuBlas(accelerator) { Stream = stream };
            why = $"cuBLAS {blas.Version} loaded";
            return new CuBlasGemm(blas);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException
                                       or BadImageFormatException or CuBlasException or InvalidOperationException)
        {
            why = $"cuBLAS did not load ({e.GetType().Name}: {e.Message})";
            return null;
        }
    }

    /// <summary>
    /// C[b] = A[b]·B[b] for every batch, one GEMM call each, as <paramref name="plan"/> says; returns the number of
    /// calls (launches) made.
    /// </summary>
    public int Run<T>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, in MatMulShape s, GemmPlan plan)
        where T : unmanaged, INumber<T>
    {
        var opX = plan.TransposeX ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose;
        var opY = plan.TransposeY ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose;
        long matrix = (long)s.M * s.N;
        for (int batch = 0; batch < s.Batch; batch++)
        {
            int offsetA = s.BatchA.OffsetOf(batch);
            int offsetB = s.BatchB.OffsetOf(batch);
            var x = b.SubView(offsetB, b.Length - offsetB);
            var y = a.SubView(offsetA, a.Length - offsetA);
            var z = c.SubView(batch * matrix, matrix);
            if (typeof(T) == typeof(float))
            {
                _blas.Gemm(opX, opY, s.N, s.M, s.K, 1f, x.Cast<float>(), plan.LeadingX, y.Cast<float>(), plan.LeadingY,
                    0f, z.Cast<float>(), s.N);
            }
            else if (typeof(T) == typeof(double))
            {
                _blas.Gemm(opX, opY, s.N, s.M, s.K, 1d, x.Cast<double>(), plan.LeadingX, y.Cast<double>(),
                    plan.LeadingY, 0d, z.Cast<double>(), s.N);
            }
            else
            {
                throw new NotSupportedException($"cuBLAS GEMM takes float32 or float64, not {typeof(T).Name}");
            }
        }
        return s.Batch;
    }

    public void Dispose() => _blas.Dispose();
}
