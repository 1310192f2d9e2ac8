using System.Collections.Concurrent;

namespace Gamut.Redis.Worker.Engine;

/// <summary>
/// What this process holds of one instance's jobs: every entry of its in-flight lists from take until Redis has the
/// outcome (what the reconciler must not give back), the jobs running by id (what a cancel request reaches), and how
/// many run and how many wait to have their outcome recorded.
/// </summary>
internal sealed class HeldJobs
{
    private readonly ConcurrentDictionary<(string Queue, string Entry), byte> _held = new();
    private readonly ConcurrentDictionary<(string Queue, string Id), TakenJob> _running = new();
    private int _runningCount;
    private int _recording;

    /// <summary>Jobs taken and not yet past their body (their slot is not free).</summary>
    public int Running => Volatile.Read(ref _runningCount);

    /// <summary>Jobs whose outcome is with the sink, not yet recorded.</summary>
    public int Recording => Volatile.Read(ref _recording);

    /// <summary>Whether the in-flight entry is this process's (taken, its outcome not yet recorded).</summary>
    public bool IsHeld(string queue, string entry) => _held.ContainsKey((queue, entry));

    /// <summary>Holds an entry the take script just moved to our in-flight list.</summary>
    public void Hold(string queue, string entry) => _held[(queue, entry)] = 0;

    /// <summary>Lets go of an entry: its outcome is recorded, or it is no longer ours to track.</summary>
    public void Release(string queue, string entry) => _held.TryRemove((queue, entry), out _);

    public void StartRunning() => Interlocked.Increment(ref _runningCount);

    public void StopRunning() => Interlocked.Decrement(ref _runningCount);

    public void StartRecording() => Interlocked.Increment(ref _recording);

    public void StopRecording() => Interlocked.Decrement(ref _recording);

    /// <summary>
    /// Makes a started job reachable by its id. An adopted raw entry was replaced by the id in the in-flight list: its
    /// hold moves from the raw entry's key to the id.
    /// </summary>
    public void Register(TakenJob job)
    {
        var q = job.Queue.Queue;
        _running[(q, job.Id)] = job;
        if (job.EntryKey != job.Id)
        {
            _held[(q, job.Id)] = 0;
            _held.TryRemove((q, job.EntryKey), out _);
            job.EntryKey = job.Id;
        }
    }

    public void Unregister(TakenJob job) => _running.TryRemove((job.Queue.Queue, job.Id), out _);

    /// <summary>Asks a running job to stop because it was cancelled; false when no such job runs here.</summary>
    public bool Cancel(string queue, string id)
    {
        if (!_running.TryGetValue((queue, id), out var job))
        {
            return false;
        }

        job.CancelRequested = true;
        job.Cancel.Cancel();
        return true;
    }

    /// <summary>The registered jobs whose body has not returned.</summary>
    public TakenJob[] Unfinished() => [.. _running.Values.Where(j => !j.Finished)];
}
