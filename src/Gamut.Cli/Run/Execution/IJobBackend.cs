using Gamut.Jobs.Commands;

namespace Gamut.Cli.Run.Execution;

/// <summary>
/// The seam between <c>gamut run</c>'s front end (options, inputs, templates, output, joblog, halt, exit status)
/// and where its jobs run. The front end turns a template and inputs into command jobs — a
/// <see cref="CommandSpec"/> each, the data of the <c>gamut.command</c> job — and hands them here one attempt at
/// a time, never more at once than <c>-j</c>; the backend runs each and gives back its <see cref="CommandOutcome"/>.
/// The local backend runs them as child processes; a remote one (Redis workers) submits them as jobs.
/// </summary>
internal interface IJobBackend : IAsyncDisposable
{
    /// <summary>Whether output can be delivered while a job runs; when false the front end groups output whatever was asked.</summary>
    bool CanStream { get; }

    /// <summary>
    /// Runs one attempt. A non-zero exit, a signal or a timeout is an outcome, not an exception; an exception means
    /// the job could not be run at all (the front end reports it and counts the job as failed).
    /// </summary>
    /// <param name="request">The job.</param>
    /// <param name="stop">Stops the job gracefully: SIGTERM to its process group, SIGKILL after the grace period.</param>
    Task<CommandOutcome> RunAsync(JobRequest request, CancellationToken stop);

    /// <summary>Kills every running job at once (SIGKILL to each process group): the second Ctrl-C.</summary>
    void KillAll();
}
