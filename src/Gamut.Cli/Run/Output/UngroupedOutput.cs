using System.Text;
using Gamut.Cli.Run.Execution;

namespace Gamut.Cli.Run.Output;

/// <summary><c>-u</c>: jobs write straight to gamut's stdout and stderr, as fast as it gets and mixed as they write.</summary>
internal sealed class UngroupedOutput(OutputStreams streams, bool verbose) : IRunOutput
{
    public OutputRouting Routing => OutputRouting.Inherit;

    public void OnStarted(PlannedJob job)
    {
        if (verbose)
        {
            lock (streams.Gate)
            {
                streams.Write(false, Encoding.UTF8.GetBytes(job.CommandLine + "\n"));
                streams.Flush();
            }
        }
    }

    public void OnOutput(JobRequest job, bool isStderr, ReadOnlySpan<byte> chunk)
    {
    }

    public void OnFinished(FinishedJob job)
    {
    }

    public void OnAbandoned(PlannedJob job)
    {
    }

    public void Complete()
    {
        lock (streams.Gate)
        {
            streams.Flush();
        }
    }
}
