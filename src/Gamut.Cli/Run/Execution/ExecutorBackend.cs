using Gamut.Executors;
using Gamut.Jobs.Commands;

namespace Gamut.Cli.Run.Execution;

/// <summary>
/// Runs each job as the registered <c>gamut.command</c> job on any <see cref="IExecutor"/> — the shape a remote
/// backend (Redis workers) takes. Output comes back whole in the <see cref="CommandOutcome"/>, so it is grouped
/// whatever was asked; a stop cancels the job (the executor stops its process group). Selected locally with
/// <c>GAMUT_RUN_EXECUTOR=threads</c>, which proves the front end runs unchanged on an executor.
/// </summary>
internal sealed class ExecutorBackend(IExecutor executor) : IJobBackend
{
    public bool CanStream => false;

    public Task<CommandOutcome> RunAsync(JobRequest request, CancellationToken stop) =>
        executor.SubmitAsync(CommandJob.Ref, request.Spec, options: null, stop);

    public void KillAll() => executor.CancelAll();

    public ValueTask DisposeAsync() => executor.DisposeAsync();
}
