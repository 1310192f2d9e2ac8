using System.Text;
using Gamut.Cli.Run.Execution;

namespace Gamut.Cli.Run.Output;

/// <summary>GNU parallel's default output: each job's stdout, then its stderr, in one piece when it ends; tagged per line with <c>--tag</c>.</summary>
internal sealed class GroupedOutput(OutputStreams streams, bool keepOrder, bool verbose) : OrderedOutput(streams, keepOrder)
{
    protected override void Write(FinishedJob job)
    {
        if (verbose)
        {
            Streams.Write(false, Encoding.UTF8.GetBytes(job.Job.CommandLine + "\n"));
        }

        Streams.WriteTagged(false, job.Job.Tag, job.Outcome.Stdout);
        Streams.WriteTagged(true, job.Job.Tag, job.Outcome.Stderr);
    }
}
