using System.Globalization;
using System.Text;
using MicrogradPlus.Backends;

namespace MicrogradPlus;

public sealed partial class Tensor
{
    /// <summary>
    /// Turns leak tracking on until the returned tracker is disposed: finds tensors that were dropped without
    /// <see cref="Dispose"/> and outside any <see cref="Scope"/>, and where they were made. A debugging aid for a loop
    /// whose memory grows; each tensor made outside a scope meanwhile costs a stack walk.
    /// </summary>
    /// <returns>The tracker; read <see cref="LeakTracker.Collect"/> after the code under suspicion has run.</returns>
    /// <exception cref="InvalidOperationException">Leak tracking is already on.</exception>
    /// <example>
    /// <code>
    /// using var leaks = Tensor.TrackLeaks();
    /// for (int step = 0; step &lt; 100; step++) { TrainStep(); }
    /// leaks.Collect();
    /// Console.WriteLine(leaks); // "2 sites leaked 200 tensors (…)", then one line per site, largest first
    /// </code>
    /// </example>
    public static LeakTracker TrackLeaks() => new();
}

/// <summary>
/// Where tensors that nobody disposed were made (see <see cref="Tensor.TrackLeaks"/>). While the tracker is on, each
/// tensor made outside a scope notes the first frame of its caller outside this library; when the garbage collector
/// finds such a tensor's memory dropped undisposed (its memory then goes back to the pool on its own, late), the
/// tracker counts it against that site. A tensor and its views count once; tensors made before the tracker started
/// or inside a scope are not tracked. One tracker at a time, for the whole process.
/// </summary>
public sealed class LeakTracker : IDisposable, ILeakSink
{
    private static LeakTracker? _current;
    private readonly Dictionary<string, (int Count, long Bytes)> _sites = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    internal LeakTracker()
    {
        if (Interlocked.CompareExchange(ref _current, this, null) is not null)
        {
            throw new InvalidOperationException(
                "leak tracking is already on: dispose the tracker Tensor.TrackLeaks() returned before starting " +
                "another");
        }
    }

    /// <summary>Where the tensors dropped undisposed so far were made, the most bytes first.</summary>
    /// <remarks>
    /// Only what the garbage collector has found so far: call <see cref="Collect"/> to find everything dropped.
    /// </remarks>
    public IReadOnlyList<LeakSite> Leaks
    {
        get
        {
            lock (_gate)
            {
                return [.. _sites.Select(site => new LeakSite(site.Key, site.Value.Count, site.Value.Bytes))
                    .OrderByDescending(site => site.Bytes).ThenBy(site => site.Site, StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>The tracker that tensors made now report to, or null when tracking is off.</summary>
    internal static LeakTracker? Current => Volatile.Read(ref _current);

    /// <summary>
    /// Runs the garbage collector and the finalizers it queues, twice, so that every tracked tensor no longer
    /// reachable is found, and returns <see cref="Leaks"/>.
    /// </summary>
    /// <returns>Where the tensors dropped undisposed were made, the most bytes first.</returns>
    public IReadOnlyList<LeakSite> Collect()
    {
        for (int pass = 0; pass < 2; pass++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        return Leaks;
    }

    /// <summary>Stops tracking new tensors; those already tracked are still counted when found.</summary>
    public void Dispose() => Interlocked.CompareExchange(ref _current, null, this);

    /// <summary>A report: the totals, then one line per site, the most bytes first.</summary>
    /// <returns>"No tensor leaked" or "N sites leaked M tensors (B bytes)" and the sites.</returns>
    public override string ToString()
    {
        var leaks = Leaks;
        if (leaks.Count == 0)
        {
            return "No tensor leaked";
        }
        var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"{leaks.Count} site{(leaks.Count == 1 ? "" : "s")} leaked {leaks.Sum(l => l.Count):N0} tensors " +
            $"({leaks.Sum(l => l.Bytes):N0} bytes); dispose them or make them in a Tensor.Scope():"));
        foreach (var leak in leaks)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"\n  {leak.Count:N0} tensors, {leak.Bytes:N0} bytes: {leak.Site}");
        }
        return text.ToString();
    }

    void ILeakSink.Leaked(string site, long bytes)
    {
        lock (_gate)
        {
            var (count, total) = _sites.GetValueOrDefault(site);
            _sites[site] = (count + 1, total + bytes);
        }
    }
}

/// <summary>Tensors made at one place and dropped undisposed (see <see cref="LeakTracker"/>).</summary>
/// <param name="Site">
/// The method, file and line outside this library that made them (file and line need a pdb; in optimized code the
/// runtime may give a neighbouring line of the same method).
/// </param>
/// <param name="Count">How many tensors (a tensor and its views count once).</param>
/// <param name="Bytes">The device memory they held (pool allocations, rounded up as the pool rounds).</param>
public sealed record LeakSite(string Site, int Count, long Bytes);
