namespace MicrogradPlus.Backends;

/// <summary>
/// How <see cref="HostExecutor"/> spreads work: when a loop is split across cores, which rows are worth a vector
/// loop, how long a pairwise reduction's serial blocks are. Every tuning constant of the host path lives here.
/// </summary>
internal static class HostPolicy
{
    /// <summary>Elements of work (vectorised ones weighed by <see cref="VectorWork"/>) that pay for a second core.</summary>
    public const long ParallelMinElements = 1 << 16;

    // A vectorised element costs about a quarter of a scalar one, so it takes four times as many to pay for the threads
    // (on a 2-core VM a 64K-element add took 42 µs split across cores, 8 µs vectorised on one).
    private const int VectorisedCostDivisor = 4;

    /// <summary>Rows shorter than this stay in the scalar loop: a vector call's set-up would cost more than it saves.</summary>
    public const int MinVectorRow = 8;

    /// <summary>
    /// The longest run a pairwise reduction folds serially: four vectors of lanes each fold a 32nd of it (eight
    /// elements with 256-bit vectors), so a float sum stays within an ulp or two, and the halving above it costs a
    /// call per 256 elements.
    /// </summary>
    public const int PairwiseBlock = 256;

    /// <summary>
    /// Output bytes from which element-wise loops store past the caches (<see cref="SpanDrivers.Map{T, TOp}"/>'s
    /// stream): an output this large, with its inputs, no longer fits the last-level cache, so it would not be read
    /// from there anyway. Below it an output stays cached for the next op (a 1M-float add measured faster without).
    /// </summary>
    public const long StreamingMinBytes = 8L << 20;

    /// <summary>Whether an element-wise loop writing <paramref name="elements"/> of <typeparamref name="T"/> streams.</summary>
    public static bool Streams<T>(long elements) where T : unmanaged =>
        elements * System.Runtime.CompilerServices.Unsafe.SizeOf<T>() >= StreamingMinBytes;

    /// <summary>The work <see cref="HostLoops.ForRange"/> weighs for <paramref name="elements"/> handled by vector loops.</summary>
    public static long VectorWork(long elements) => elements / VectorisedCostDivisor;

    /// <summary>Whether <paramref name="work"/> pays for splitting a loop across cores.</summary>
    public static bool WorthSplitting(long work) => work >= ParallelMinElements;

    /// <summary>Into how many contiguous pieces to split <paramref name="count"/> items of <paramref name="work"/>.</summary>
    public static int Chunks(int count, long work) =>
        WorthSplitting(work) ? Math.Min(Environment.ProcessorCount, count) : 1;
}
