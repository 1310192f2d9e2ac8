using System.Text;
using Gamut.Cli.Run.Execution;

namespace Gamut.Cli.Run.Output;

/// <summary>
/// <c>--line-buffer</c>: each complete line is written as soon as the job writes it, so output appears live
/// while no line ever mixes two jobs; a job's unfinished last line waits for its newline or the job's end.
/// </summary>
internal sealed class LineBufferedOutput(OutputStreams streams, bool verbose) : IRunOutput
{
    private readonly Dictionary<(long Seq, bool Err), MemoryStream> _partial = [];
    private readonly Dictionary<long, byte[]?> _tags = [];

    public OutputRouting Routing => OutputRouting.Stream;

    public void OnStarted(PlannedJob job)
    {
        lock (streams.Gate)
        {
            _tags[job.Seq] = job.Tag;
            if (verbose)
            {
                streams.Write(false, Encoding.UTF8.GetBytes(job.CommandLine + "\n"));
                streams.Flush();
            }
        }
    }

    public void OnOutput(JobRequest job, bool isStderr, ReadOnlySpan<byte> chunk)
    {
        lock (streams.Gate)
        {
            var tag = _tags.GetValueOrDefault(job.Seq);
            var lastNewline = chunk.LastIndexOf((byte)'\n');
            _partial.TryGetValue((job.Seq, isStderr), out var pending);
            if (lastNewline < 0)
            {
                if (pending is null)
                {
                    pending = new MemoryStream();
                    _partial[(job.Seq, isStderr)] = pending;
                }

                pending.Write(chunk);
                return;
            }

            if (pending is { Length: > 0 })
            {
                pending.Write(chunk[..(lastNewline + 1)]);
                streams.WriteTagged(isStderr, tag, pending.GetBuffer().AsSpan(0, (int)pending.Length));
                pending.SetLength(0);
            }
            else
            {
                streams.WriteTagged(isStderr, tag, chunk[..(lastNewline + 1)]);
            }

            var rest = chunk[(lastNewline + 1)..];
            if (rest.Length > 0)
            {
                if (pending is null)
                {
                    pending = new MemoryStream();
                    _partial[(job.Seq, isStderr)] = pending;
                }

                pending.Write(rest);
            }

            streams.Flush();
        }
    }

    public void OnFinished(FinishedJob job) => FlushPartial(job.Job, write: true);

    public void OnAbandoned(PlannedJob job) => FlushPartial(job, write: false);

    public void Complete()
    {
        lock (streams.Gate)
        {
            streams.Flush();
        }
    }

    private void FlushPartial(PlannedJob job, bool write)
    {
        lock (streams.Gate)
        {
            _tags.Remove(job.Seq);
            foreach (var err in (ReadOnlySpan<bool>)[false, true])
            {
                if (_partial.Remove((job.Seq, err), out var pending) && write && pending.Length > 0)
                {
                    streams.WriteTagged(err, job.Tag, pending.GetBuffer().AsSpan(0, (int)pending.Length));
                }
            }

            streams.Flush();
        }
    }
}
