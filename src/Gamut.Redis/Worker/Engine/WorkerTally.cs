namespace Gamut.Redis.Worker.Engine;

/// <summary>What one instance's worker has done since it started (<see cref="WorkerCounters"/>), counted as Redis confirms it.</summary>
internal sealed class WorkerTally
{
    private long _succeeded, _failed, _retried, _dead, _duplicates, _cancelled, _handedBack, _reaped;

    public WorkerCounters Snapshot => new(
        Interlocked.Read(ref _succeeded), Interlocked.Read(ref _failed), Interlocked.Read(ref _retried), Interlocked.Read(ref _dead),
        Interlocked.Read(ref _duplicates), Interlocked.Read(ref _cancelled), Interlocked.Read(ref _handedBack), Interlocked.Read(ref _reaped));

    /// <summary>Counts an outcome Redis recorded (verdict <c>ok</c>) by its kind.</summary>
    public void Recorded(string kind)
    {
        _ = kind switch
        {
            "ok" => Interlocked.Increment(ref _succeeded),
            "retry" => Interlocked.Increment(ref _retried),
            "fail" => Interlocked.Increment(ref _failed),
            "dead" => Interlocked.Increment(ref _dead),
            "cancel" => Interlocked.Increment(ref _cancelled),
            "back" => Interlocked.Increment(ref _handedBack),
            _ => 0,
        };
    }

    public void Duplicate() => Interlocked.Increment(ref _duplicates);

    public void DeadLettered() => Interlocked.Increment(ref _dead);

    public void Reaped(long jobs) => Interlocked.Add(ref _reaped, jobs);
}
