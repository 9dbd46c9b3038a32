using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ILGPU;
using MicrogradPlus.Kernels;

namespace MicrogradPlus.Backends.Gemm;

/// <summary>
/// An optimised BLAS of the system (OpenBLAS, BLIS or MKL), loaded at run time when one is installed, for the CPU
/// device's large products, as cuBLAS serves CUDA: <c>cblas_sgemm</c>/<c>cblas_dgemm</c> called with the same
/// column-major plan (<see cref="GemmPlan"/>: Cᵀ = Bᵀ·Aᵀ, per batch). Never required: where none loads,
/// <see cref="Status"/> says why and the managed GEMM (<see cref="HostGemm"/>) runs. The reference BLAS
/// (<c>libblas.so.3</c> from netlib) is refused: it is several times slower than the managed GEMM.
/// </summary>
internal sealed class SystemBlas
{
    // CBLAS enumerations.
    private const int ColMajor = 102, NoTrans = 111, Trans = 112;

    private delegate void Sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, ref float a,
        int lda, ref float b, int ldb, float beta, ref float c, int ldc);

    private delegate void Dgemm(int order, int transA, int transB, int m, int n, int k, double alpha, ref double a,
        int lda, ref double b, int ldb, double beta, ref double c, int ldc);

    private delegate IntPtr GetConfig();

    /// <summary>Candidates in order, with the export that proves the library is an optimised one.</summary>
    private static readonly (string Library, string Proof, string Name)[] Candidates =
    [
        ("libopenblas.so.0", "openblas_get_config", "OpenBLAS"),
        ("libopenblas.so", "openblas_get_config", "OpenBLAS"),
        ("libblis.so.4", "bli_info_get_version_str", "BLIS"),
        ("libmkl_rt.so.2", "MKL_Get_Version", "MKL"),
        ("libblas.so.3", "openblas_get_config", "OpenBLAS"),
        ("libblas.so.3", "bli_info_get_version_str", "BLIS"),
        ("libopenblas.dll", "openblas_get_config", "OpenBLAS"),
        ("libopenblas.dylib", "openblas_get_config", "OpenBLAS"),
    ];

    private static readonly Lazy<(SystemBlas? Blas, string Status)> Loaded = new(Load);

    private readonly Sgemm _sgemm;
    private readonly Dgemm _dgemm;

    private SystemBlas(Sgemm sgemm, Dgemm dgemm)
    {
        _sgemm = sgemm;
        _dgemm = dgemm;
    }

    /// <summary>The system BLAS, loaded on first use; null where none is installed.</summary>
    public static SystemBlas? Instance => Loaded.Value.Blas;

    /// <summary>"OpenBLAS 0.3.21 … (libopenblas.so.0) loaded", or why none is used.</summary>
    public static string Status => Loaded.Value.Status;

    /// <summary>
    /// C = A·B (+ bias) per batch as a column-major GEMM; false (nothing written) when the layout has no plan
    /// (negative or overlapping strides), so the caller runs the managed GEMM.
    /// </summary>
    public bool TryRun<T>(ArrayView<T> aView, ArrayView<T> bView, ArrayView<T> cView, ArrayView<T> biasView,
        in MatMulShape s)
        where T : unmanaged, INumber<T>
    {
        if ((typeof(T) != typeof(float) && typeof(T) != typeof(double)) || !GemmPlan.TryCreate(s, out var plan))
        {
            return false;
        }
        var a = HostLoops.Span(aView);
        var b = HostLoops.Span(bView);
        var c = HostLoops.Span(cView);
        int matrix = s.M * s.N;
        T beta = T.Zero;
        if (s.HasBias != 0)
        {
            // C starts as the bias in every row and the GEMM adds to it (beta = 1).
            Span<T> row = c[..s.N];
            for (int n = 0; n < s.N; n++)
            {
                row[n] = s.BiasAt(biasView, n);
            }
            for (int r = 1; r < s.Batch * s.M; r++)
            {
                row.CopyTo(c.Slice(r * s.N, s.N));
            }
            beta = T.One;
        }
        int opX = plan.TransposeX ? Trans : NoTrans, opY = plan.TransposeY ? Trans : NoTrans;
        for (int batch = 0; batch < s.Batch; batch++)
        {
            ref T x = ref b[s.BatchB.OffsetOf(batch)];
            ref T y = ref a[s.BatchA.OffsetOf(batch)];
            ref T z = ref c[batch * matrix];
            if (typeof(T) == typeof(float))
            {
                _sgemm(ColMajor, opX, opY, s.N, s.M, s.K, 1f, ref Unsafe.As<T, float>(ref x), plan.LeadingX,
                    ref Unsafe.As<T, float>(ref y), plan.LeadingY, float.CreateTruncating(beta),
                    ref Unsafe.As<T, float>(ref z), s.N);
            }
            else
            {
                _dgemm(ColMajor, opX, opY, s.N, s.M, s.K, 1d, ref Unsafe.As<T, double>(ref x), plan.LeadingX,
                    ref Unsafe.As<T, double>(ref y), plan.LeadingY, double.CreateTruncating(beta),
                    ref Unsafe.As<T, double>(ref z), s.N);
            }
        }
        return true;
    }

    private static (SystemBlas?, string) Load()
    {
        var tried = new List<string>();
        foreach (var (library, proof, name) in Candidates)
        {
            if (!NativeLibrary.TryLoad(library, out IntPtr handle))
            {
                tried.Add($"{library}: not found");
                continue;
            }
            if (!NativeLibrary.TryGetExport(handle, proof, out IntPtr proofExport))
            {
                tried.Add($"{library}: not {name}");
                continue;
            }
            if (!NativeLibrary.TryGetExport(handle, "cblas_sgemm", out IntPtr sgemm) ||
                !NativeLibrary.TryGetExport(handle, "cblas_dgemm", out IntPtr dgemm))
            {
                tried.Add($"{library}: no cblas_sgemm/cblas_dgemm");
                continue;
            }
            string version = name;
            if (proof == "openblas_get_config")
            {
                version = Marshal.PtrToStringAnsi(Marshal.GetDelegateForFunctionPointer<GetConfig>(proofExport)())
                          ?? name;
            }
            var blas = new SystemBlas(Marshal.GetDelegateForFunctionPointer<Sgemm>(sgemm),
                Marshal.GetDelegateForFunctionPointer<Dgemm>(dgemm));
            return (blas, $"{version.Trim()} ({library}) loaded");
        }
        return (null, "no optimised system BLAS found (" + string.Join("; ", tried.Distinct()) + ")");
    }
}
