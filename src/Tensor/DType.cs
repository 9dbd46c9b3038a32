namespace MicrogradPlus;

/// <summary>
/// Element types. Float32 is what models use; Float64 exists so gradient checks can difference in double; Int32 holds
/// indices (class labels, gather and embedding indices, argmax/sort results) and never requires grad.
/// </summary>
public enum DType
{
    /// <summary>32-bit IEEE float (torch.float32).</summary>
    Float32,
    /// <summary>64-bit IEEE float (torch.float64).</summary>
    Float64,
    /// <summary>32-bit signed integer (torch.int32): index tensors. Float ops reject it; convert with To(DType).</summary>
    Int32,
}
