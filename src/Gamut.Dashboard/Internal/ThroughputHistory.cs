namespace Gamut.Dashboard.Internal;

/// <summary>
/// Jobs completed and failed per minute over the last hour, from the queues' cumulative counters: the poller adds
/// each reading and this keeps the per-minute differences (in memory; Redis keeps only the totals).
/// </summary>
internal sealed class ThroughputHistory
{
    private const int Minutes = 60;
    private readonly long[] _succeeded = new long[Minutes];
    private readonly long[] _failed = new long[Minutes];
    private readonly long[] _minuteOf = new long[Minutes];
    private long? _lastSucceeded;
    private long? _lastFailed;

    /// <summary>Adds a reading of the totals (jobs succeeded, jobs failed or dead-lettered).</summary>
    public void Add(DateTimeOffset now, long succeeded, long failed)
    {
        var minute = now.ToUnixTimeSeconds() / 60;
        var slot = (int)(minute % Minutes);
        if (_minuteOf[slot] != minute)
        {
            _minuteOf[slot] = minute;
            _succeeded[slot] = _failed[slot] = 0;
        }

        // A counter that went down (Redis restarted empty, keys purged) starts a new baseline instead of a negative bar.
        if (_lastSucceeded is { } s && succeeded >= s)
        {
            _succeeded[slot] += succeeded - s;
        }

        if (_lastFailed is { } f && failed >= f)
        {
            _failed[slot] += failed - f;
        }

        _lastSucceeded = succeeded;
        _lastFailed = failed;
    }

    /// <summary>The last hour, oldest minute first: (succeeded, failed) per minute, zero for minutes never read.</summary>
    public IEnumerable<(long Succeeded, long Failed)> LastHour(DateTimeOffset now)
    {
        var current = now.ToUnixTimeSeconds() / 60;
        for (var m = current - Minutes + 1; m <= current; m++)
        {
            var slot = (int)(m % Minutes);
            yield return _minuteOf[slot] == m ? (_succeeded[slot], _failed[slot]) : (0, 0);
        }
    }
}
