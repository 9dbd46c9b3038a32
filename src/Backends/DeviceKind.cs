namespace MicrogradPlus;

/// <summary>The three kinds of ILGPU accelerator a <see cref="Device"/> can be.</summary>
public enum DeviceKind
{
    /// <summary>ILGPU's CPU accelerator (always present).</summary>
    Cpu,
    /// <summary>An OpenCL 2.0+ device ILGPU accepts (e.g. PoCL 6).</summary>
    OpenCL,
    /// <summary>An NVIDIA GPU through CUDA.</summary>
    Cuda,
}
