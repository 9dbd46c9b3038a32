using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace MicrogradPlus.Backends;

/// <summary>
/// Maps the bare library names ILGPU and ILGPU.Algorithms ask for (<c>cuda</c>, <c>OpenCL</c>, <c>cublas</c>) to the
/// versioned sonames that drivers install, so no <c>-dev</c> package or symlink is needed. Hooks the load context's
/// fallback event, which runs only after the default probing failed, so it never fights a resolver of ILGPU's own.
/// </summary>
internal static class NativeLibraries
{
    private static int _installed;

    private static readonly Dictionary<string, string[]> Candidates = new(StringComparer.OrdinalIgnoreCase)
    {
        ["cuda"] = ["libcuda.so.1", "libcuda.so"],
        ["nvcuda"] = ["libcuda.so.1", "libcuda.so"],
        ["OpenCL"] = ["libOpenCL.so.1", "libOpenCL.so"],
        ["cublas"] = ["libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"],
    };

    /// <summary>Installs the mapping once per process (later calls do nothing).</summary>
    public static void Install()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 1 || !OperatingSystem.IsLinux())
        {
            return;
        }
        AssemblyLoadContext.Default.ResolvingUnmanagedDll += Resolve;
    }

    private static IntPtr Resolve(Assembly assembly, string name)
    {
        string key = Path.GetFileNameWithoutExtension(name);
        if (key.StartsWith("lib", StringComparison.Ordinal))
        {
            key = key[3..];
        }
        int versioned = key.IndexOf(".so", StringComparison.Ordinal);
        if (versioned >= 0)
        {
            key = key[..versioned];
        }
        if (key.StartsWith("cublas", StringComparison.OrdinalIgnoreCase))
        {
            key = "cublas";
        }
        if (!Candidates.TryGetValue(key, out var names))
        {
            return IntPtr.Zero;
        }
        foreach (string candidate in names)
        {
            if (NativeLibrary.TryLoad(candidate, out IntPtr handle))
            {
                return handle;
            }
        }
        foreach (string dir in CudaLibraryDirectories())
        {
            foreach (string candidate in names)
            {
                string path = Path.Combine(dir, candidate);
                if (File.Exists(path) && NativeLibrary.TryLoad(path, out IntPtr handle))
                {
                    return handle;
                }
            }
        }
        return IntPtr.Zero;
    }

    private static IEnumerable<string> CudaLibraryDirectories()
    {
        if (!Directory.Exists("/usr/local"))
        {
            yield break;
        }
        foreach (string cuda in Directory.EnumerateDirectories("/usr/local", "cuda*").OrderDescending())
        {
            yield return Path.Combine(cuda, "targets", "x86_64-linux", "lib");
            yield return Path.Combine(cuda, "lib64");
        }
    }
}
