using MicrogradPlus.Kernels;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Kernels;

/// <summary>The fused layer norm's kernels compile for CUDA (checked as PTX on any machine), without local memory.</summary>
public class LayerNormPtxTests
{
    [Theory]
    [InlineData(typeof(LayerNormRowsBody<float, ScalarMath>), "f32")]
    [InlineData(typeof(LayerNormGradRowsBody<float, ScalarMath>), "f32")]
    [InlineData(typeof(LayerNormRowsBody<double, ScalarMath>), "f64")]
    [InlineData(typeof(LayerNormGradRowsBody<double, ScalarMath>), "f64")]
    public void Layer_norm_rows_compile_to_ptx_without_local_memory(Type body, string type)
    {
        string ptx = Ptx.Compile(typeof(GridStride).GetMethod(nameof(GridStride.Run))!.MakeGenericMethod(body), 256);
        Assert.DoesNotContain("ld.local", ptx, StringComparison.Ordinal);
        Assert.DoesNotContain("st.local", ptx, StringComparison.Ordinal);
        Assert.Contains($"ld.global.{type}", ptx, StringComparison.Ordinal);
        Assert.Contains($"st.global.{type}", ptx, StringComparison.Ordinal);
    }
}
