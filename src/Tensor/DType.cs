namespace MicrogradPlus;

/// <summary>Element types. Float32 is what models use; Float64 exists so gradient checks can difference in double.</summary>
public enum DType
{
    /// <summary>32-bit IEEE float (torch.float32).</summary>
    Float32,
    /// <summary>64-bit IEEE float (torch.float64).</summary>
    Float64,
}
