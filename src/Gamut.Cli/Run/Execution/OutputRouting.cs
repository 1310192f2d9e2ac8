namespace Gamut.Cli.Run.Execution;

/// <summary>Where a job's stdout and stderr go while it runs.</summary>
internal enum OutputRouting
{
    /// <summary>Captured whole and returned in the outcome (grouped output, <c>--json</c>, remote executors).</summary>
    Capture,

    /// <summary>Handed to <see cref="IJobOutputListener"/> in chunks as the job writes them (<c>--line-buffer</c>).</summary>
    Stream,

    /// <summary>The job writes straight to gamut's own stdout and stderr (<c>-u</c>).</summary>
    Inherit,
}

/// <summary>Receives a running job's output as it comes (<see cref="OutputRouting.Stream"/>). Called from any thread, one call at a time per job and stream.</summary>
internal interface IJobOutputListener
{
    void OnOutput(JobRequest job, bool isStderr, ReadOnlySpan<byte> chunk);
}
