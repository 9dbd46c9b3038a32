namespace MicrogradPlus.Kernels;

/// <summary>Four values in registers; the 16-byte unit of vector loads and stores
/// (a view cast to <c>ArrayView&lt;Vec4&lt;float&gt;&gt;</c> compiles to <c>ld.v4.f32</c> on CUDA).</summary>
internal struct Vec4<T> where T : unmanaged
{
#pragma warning disable CS1591
    public T X0, X1, X2, X3;
#pragma warning restore CS1591
}
