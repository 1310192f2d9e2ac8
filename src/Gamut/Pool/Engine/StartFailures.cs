using System.Diagnostics;

namespace Gamut.Pool.Engine;

/// <summary>
/// Erlang's restart intensity for worker starts: more than <c>intensity</c> start failures within <c>period</c>
/// trips it. While tripped, no worker is started; after a period it lets one try (half-open), and one more failure
/// trips it again at once. A worker that gets ready resets it.
/// </summary>
internal sealed class StartFailures(int intensity, TimeSpan period)
{
    private readonly Queue<long> _times = new();

    public bool Tripped { get; private set; }

    public long TrippedAt { get; private set; }

    public int Count => _times.Count;

    /// <summary>Counts a failure; true when this one trips the limit.</summary>
    public bool Record()
    {
        var now = Stopwatch.GetTimestamp();
        _times.Enqueue(now);
        while (_times.Count > 0 && Stopwatch.GetElapsedTime(_times.Peek(), now) > period)
        {
            _times.Dequeue();
        }

        if (Tripped || _times.Count > intensity)
        {
            Tripped = true;
            TrippedAt = now;
            return true;
        }

        return false;
    }

    /// <summary>Whether a tripped limit has waited a period and may let one worker try.</summary>
    public bool MayProbe => Tripped && Stopwatch.GetElapsedTime(TrippedAt) > period;

    /// <summary>A probe starts: stay tripped (so one more failure trips at once) but restart the clock.</summary>
    public void Probe() => TrippedAt = Stopwatch.GetTimestamp();

    public void Reset()
    {
        Tripped = false;
        _times.Clear();
    }
}
