namespace Gamut.Cli.Run.JobLog;

/// <summary>
/// With <c>-k</c> GNU parallel writes a job's joblog line when it prints the job's output, so the lines come in
/// input order; this holds each line back until every job started before it has been logged (or abandoned).
/// </summary>
internal sealed class OrderedJobLog(JobLogWriter writer)
{
    private readonly Queue<long> _started = new();
    private readonly Dictionary<long, Action?> _waiting = [];

    public void OnStarted(long seq) => _started.Enqueue(seq);

    /// <summary>A job's line is ready: written now, or once the jobs before it are.</summary>
    public void OnFinished(long seq, Action<JobLogWriter> append)
    {
        _waiting[seq] = () => append(writer);
        Drain();
    }

    /// <summary>A started job will not be logged.</summary>
    public void OnAbandoned(long seq)
    {
        _waiting[seq] = null;
        Drain();
    }

    private void Drain()
    {
        while (_started.Count > 0 && _waiting.Remove(_started.Peek(), out var write))
        {
            _started.Dequeue();
            write?.Invoke();
        }
    }
}
