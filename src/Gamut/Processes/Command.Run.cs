namespace Gamut.Processes;

/// <summary>Running a command.</summary>
public sealed partial class Command
{
    /// <summary>
    /// Runs the command to completion and returns its result, with stdout and stderr captured unless their
    /// targets say otherwise.
    /// </summary>
    /// <param name="cancellationToken">Stops the command (SIGTERM to its group, grace, SIGKILL); then
    /// <see cref="OperationCanceledException"/> is raised, once the group is gone.</param>
    /// <returns>The result.</returns>
    /// <exception cref="CommandStartException">It could not start (a subclass names the cause).</exception>
    /// <exception cref="CommandExitException">It exited non-zero or died by a signal, and <see cref="ThrowOnNonZeroExit"/> is on.</exception>
    /// <exception cref="CommandTimeoutException">It ran past <see cref="Timeout"/>.</exception>
    /// <exception cref="OutputLimitExceededException">It wrote more than <see cref="OutputLimit"/>.</exception>
    public async Task<CommandResult> RunAsync(CancellationToken cancellationToken = default)
    {
        var child = ChildProcess.Start(this, new ChildProcess.StartOptions(ForRun: true), cancellationToken);
        return await child.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts the command and returns a handle to stream its output, write its input, signal it, stop it and
    /// await it. Dispose the handle (<c>await using</c>).
    /// </summary>
    /// <param name="cancellationToken">Stops the command when cancelled (as <see cref="ChildProcess.StopAsync"/>).</param>
    /// <returns>The running command.</returns>
    /// <exception cref="CommandStartException">It could not start (a subclass names the cause).</exception>
    public ChildProcess Start(CancellationToken cancellationToken = default) =>
        ChildProcess.Start(this, new ChildProcess.StartOptions(ForRun: false), cancellationToken);
}
