using MicrogradPlus.Backends;

namespace MicrogradPlus.Tests.Infrastructure;

/// <summary>Settling a pool's counters before a test reads them.</summary>
internal static class Pools
{
    /// <summary>
    /// Runs pending finalizers and lets the pool take back what they queued (at its next rental): buffers that other
    /// tests abandoned are counted back first, so the counters then move by the calling test alone.
    /// </summary>
    public static void DrainFinalized(BufferPool pool)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        pool.Rent<byte>(1).Dispose();
    }
}
