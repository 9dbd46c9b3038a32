using System.Reflection;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace MicrogradPlus.Tests.Infrastructure;

/// <summary>
/// Compiles a kernel to PTX for sm_80 with the library's settings (O2, ILGPU.Algorithms) without any GPU, so tests
/// can check what the CUDA code will look like — registers instead of local memory, vector loads — on any machine.
/// </summary>
public static class Ptx
{
    /// <summary>The PTX of an explicitly grouped kernel method (closed generic), for groups of <paramref name="groupSize"/>.</summary>
    public static string Compile(MethodInfo kernel, int groupSize)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        using var context = Context.Create(b => b.EnableAlgorithms().Optimize(OptimizationLevel.O2));
        var arch = CudaArchitecture.SM_80;
        using var backend = new PTXBackend(context, new CudaCapabilityContext(arch), arch, CudaInstructionSet.ISA_80,
            null!);
        var compiled = (PTXCompiledKernel)backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(kernel),
            new KernelSpecialization(groupSize, null));
        return compiled.PTXAssembly;
    }

    /// <summary>How many instructions of exactly this opcode (with its type suffixes) the PTX holds.</summary>
    public static int Count(string ptx, string opcode)
    {
        ArgumentNullException.ThrowIfNull(ptx);
        return ptx.Split('\n').Select(line => line.TrimStart())
            .Count(line => line.StartsWith(opcode + "\t", StringComparison.Ordinal) ||
                           line.StartsWith(opcode + " ", StringComparison.Ordinal));
    }
}
