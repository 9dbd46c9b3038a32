namespace MicrogradPlus.Backends.Gemm;

/// <summary>
/// The cache blocking of the host GEMM, in BLIS's names: a packed panel of B, <see cref="Kc"/> deep and two vectors
/// wide, stays in L1 while the micro-kernel runs down the rows; a packed block of A, <see cref="Mc"/> × Kc, stays in
/// L2 while the kernel runs across the columns; a packed block of B, Kc × <see cref="Nc"/>, stays in L3. Sized from
/// this machine's caches (Linux's <c>/sys/devices/system/cpu/cpu0/cache</c>; 32 KB, 512 KB and 8 MB where they cannot
/// be read), per element size and panel width.
/// </summary>
internal readonly record struct GemmBlocking(int Kc, int Mc, int Nc)
{
    /// <summary>L1 data, L2 and L3 cache sizes in bytes, read once.</summary>
    public static readonly (long L1, long L2, long L3) Caches = ReadCaches();

    /// <summary>The blocking for elements of <paramref name="elementSize"/> bytes and panels <paramref name="width"/> wide.</summary>
    public static GemmBlocking For(int elementSize, int width)
    {
        // Half of L1 for one panel of B (the rest holds the A sliver and C's lines).
        int kc = Math.Clamp((int)(Caches.L1 / 2 / (width * elementSize)), 64, 512);
        // Half of L2 for the block of A, in whole slivers.
        int mc = (int)(Caches.L2 / 2 / (kc * elementSize));
        mc = Math.Clamp(mc / GemmMicroKernel.Rows * GemmMicroKernel.Rows, GemmMicroKernel.Rows, 504);
        // A quarter of L3 (shared by the cores) for the block of B, in whole panels.
        int nc = (int)(Caches.L3 / 4 / (kc * elementSize));
        nc = Math.Clamp(nc / width * width, width, 4096 / width * width);
        return new GemmBlocking(kc, mc, nc);
    }

    private static (long, long, long) ReadCaches()
    {
        long l1 = 32 << 10, l2 = 512 << 10, l3 = 8 << 20;
        try
        {
            const string root = "/sys/devices/system/cpu/cpu0/cache";
            if (!Directory.Exists(root))
            {
                return (l1, l2, l3);
            }
            foreach (string index in Directory.EnumerateDirectories(root, "index*"))
            {
                string level = File.ReadAllText(Path.Combine(index, "level")).Trim();
                string type = File.ReadAllText(Path.Combine(index, "type")).Trim();
                long size = ParseSize(File.ReadAllText(Path.Combine(index, "size")).Trim());
                if (size <= 0 || type == "Instruction")
                {
                    continue;
                }
                switch (level)
                {
                    case "1": l1 = size; break;
                    case "2": l2 = size; break;
                    case "3": l3 = size; break;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            // Keep the defaults: a blocking a little off the cache sizes is slower, never wrong.
        }
        return (l1, l2, l3);
    }

    // "32K", "1024K", "32M" or a plain byte count.
    private static long ParseSize(string text)
    {
        if (text.Length == 0)
        {
            return 0;
        }
        long scale = char.ToUpperInvariant(text[^1]) switch { 'K' => 1 << 10, 'M' => 1 << 20, 'G' => 1 << 30, _ => 1 };
        string digits = scale == 1 ? text : text[..^1];
        return long.TryParse(digits, out long value) ? value * scale : 0;
    }
}
