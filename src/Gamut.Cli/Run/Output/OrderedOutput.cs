using Gamut.Cli.Run.Execution;

namespace Gamut.Cli.Run.Output;

/// <summary>
/// Writes each finished job as one block, either as soon as it finishes or, with <c>-k</c>, in the order the
/// jobs started (input order), holding back a job until every job started before it is written.
/// </summary>
internal abstract class OrderedOutput(OutputStreams streams, bool keepOrder) : IRunOutput
{
    private readonly Queue<long> _started = new();
    private readonly Dictionary<long, FinishedJob?> _waiting = [];

    protected OutputStreams Streams { get; } = streams;

    public virtual OutputRouting Routing => OutputRouting.Capture;

    public void OnStarted(PlannedJob job)
    {
        if (keepOrder)
        {
            _started.Enqueue(job.Seq);
        }
    }

    public void OnFinished(FinishedJob job)
    {
        if (!keepOrder)
        {
            WriteLocked(job);
            return;
        }

        _waiting[job.Job.Seq] = job;
        Drain();
    }

    public void OnAbandoned(PlannedJob job)
    {
        if (keepOrder)
        {
            _waiting[job.Seq] = null;
            Drain();
        }
    }

    public virtual void OnOutput(JobRequest job, bool isStderr, ReadOnlySpan<byte> chunk)
    {
    }

    public void Complete()
    {
        lock (Streams.Gate)
        {
            Streams.Flush();
        }
    }

    /// <summary>Writes one job's block (called under <see cref="OutputStreams.Gate"/>).</summary>
    protected abstract void Write(FinishedJob job);

    private void Drain()
    {
        while (_started.Count > 0 && _waiting.Remove(_started.Peek(), out var job))
        {
            _started.Dequeue();
            if (job is not null)
            {
                WriteLocked(job);
            }
        }
    }

    private void WriteLocked(FinishedJob job)
    {
        lock (Streams.Gate)
        {
            Write(job);
            Streams.Flush();
        }
    }
}
