using System.Runtime.CompilerServices;
using MicrogradPlus.Tests.Infrastructure;
using Xunit;

namespace MicrogradPlus.Tests.Reliability;

using Tensor = MicrogradPlus.Tensor;

/// <summary>
/// Leak tracking (<see cref="Tensor.TrackLeaks"/>): tensors dropped undisposed outside any scope are reported at the
/// line that made them, with their count and bytes; disposed and scoped tensors are not. The tracker is one per
/// process, so these tests run one after another (one class), and other tests' tensors may appear in a report: the
/// assertions look only at this class's sites.
/// </summary>
public class LeakTrackerTests
{
    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Dropped_tensors_are_reported_where_they_were_made(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        using var leaks = Tensor.TrackLeaks();
        for (int i = 0; i < 20; i++)
        {
            MakeAndDrop(scope.Device);
        }
        var mine = leaks.Collect().Where(site => site.Site.Contains(nameof(MakeAndDrop), StringComparison.Ordinal))
            .ToList();

        // Two tensors an iteration, 64 floats each, all made in MakeAndDrop: one site per line that made them (in
        // optimized code the runtime may place both calls on one line, so one or two sites).
        Assert.InRange(mine.Count, 1, 2);
        Assert.Equal(40, mine.Sum(site => site.Count));
        Assert.True(mine.Sum(site => site.Bytes) >= 40 * 64 * sizeof(float), leaks.ToString());
        Assert.All(mine, site => Assert.Contains("LeakTrackerTests.cs:line ", site.Site, StringComparison.Ordinal));
        string report = leaks.ToString();
        Assert.Contains(" tensors, ", report, StringComparison.Ordinal);
        Assert.Contains(nameof(MakeAndDrop), report, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDevices.All), MemberType = typeof(TestDevices))]
    public void Disposed_scoped_and_untracked_tensors_are_not_reported(string deviceName)
    {
        using var scope = TestDevices.Use(deviceName);
        var leaks = Tensor.TrackLeaks();
        try
        {
            for (int i = 0; i < 20; i++)
            {
                MakeAndDispose(scope.Device);
            }
            leaks.Dispose(); // tracking off: what is made now is not tracked, though it is dropped
            for (int i = 0; i < 20; i++)
            {
                MakeAndDrop(scope.Device);
            }
            Assert.DoesNotContain(leaks.Collect(), site =>
                site.Site.Contains(nameof(MakeAndDispose), StringComparison.Ordinal) ||
                site.Site.Contains(nameof(MakeAndDrop), StringComparison.Ordinal));
        }
        finally
        {
            leaks.Dispose();
        }
    }

    [Fact]
    public void One_tracker_at_a_time()
    {
        using (var leaks = Tensor.TrackLeaks())
        {
            var error = Assert.Throws<InvalidOperationException>(() => Tensor.TrackLeaks());
            Assert.Contains("already on", error.Message, StringComparison.Ordinal);
        }
        using var next = Tensor.TrackLeaks(); // the first one's Dispose turned tracking off
        // Other tests' tensors may be found meanwhile, so the report is empty or lists what was.
        Assert.True(next.ToString() == "No tensor leaked" || next.Leaks.Count > 0);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MakeAndDrop(Device device)
    {
        var ones = Tensor.Ones([64], device);
        _ = ones * 2f;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MakeAndDispose(Device device)
    {
        using var ones = Tensor.Ones([64], device);
        using var twice = ones * 2f;
        using (Tensor.Scope())
        {
            _ = ones + twice;
        }
    }
}
