using System.Collections.Concurrent;
using Gamut.Jobs.Commands;
using Gamut.Cli.Run.Options;
using Gamut.Processes;

namespace Gamut.Cli.Run.Execution;

/// <summary>
/// The local backend: each job a child process through Gamut's subprocess layer — posix_spawn into a process
/// group of its own, exit tracked by pidfd, output through non-blocking pipes (or the child writing straight to
/// gamut's own descriptors with <c>-u</c>). A stop or a timeout sends SIGTERM to the job's whole group, waits the
/// grace period, then sends SIGKILL to the group, so nothing a job started outlives it.
/// </summary>
/// <param name="termSeq">
/// <c>--termseq</c>: how a stop reaches a job — each signal to its process group in turn, waiting the given
/// milliseconds for it to end; null: SIGTERM, then SIGKILL after the grace period.
/// </param>
internal sealed class ProcessesBackend(TermSeq? termSeq = null) : IJobBackend
{
    private readonly ConcurrentDictionary<ChildProcess, byte> _running = new();
    private volatile bool _killed;

    public bool CanStream => true;

    public async Task<CommandOutcome> RunAsync(JobRequest request, CancellationToken stop)
    {
        var command = ToCommand(request);
        // A stop is sent here rather than through Start's token, so the stopped job's result (its output so far,
        // the signal that ended it) comes back like any other: a --timeout the scheduler keeps needs it.
        var child = command.Start(CancellationToken.None);
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stopping = stop.Register(() => _ = termSeq is null ? child.StopAsync(cancellationToken: CancellationToken.None) : SendTermSeqAsync(child, exited.Task));
        await using (child.ConfigureAwait(false))
        {
            _running[child] = 0;
            if (_killed)
            {
                child.Kill();
            }

            try
            {
                CommandResult result;
                var timedOut = false;
                try
                {
                    result = await child.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (CommandTimeoutException e)
                {
                    result = e.Result;
                    timedOut = true;
                }
                finally
                {
                    exited.TrySetResult();
                }

                return new CommandOutcome
                {
                    ExitCode = result.ExitCode,
                    Signal = result.Signal,
                    TimedOut = timedOut,
                    Stdout = result.StandardOutputBytes.ToArray(),
                    Stderr = result.StandardErrorBytes.ToArray(),
                    StartTime = result.StartTime,
                    EndTime = result.EndTime,
                };
            }
            finally
            {
                _running.TryRemove(child, out _);
            }
        }
    }

    public void KillAll()
    {
        _killed = true;
        foreach (var child in _running.Keys)
        {
            child.Kill();
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task SendTermSeqAsync(ChildProcess child, Task exited)
    {
        foreach (var (signal, milliseconds) in termSeq!.Steps)
        {
            if (exited.IsCompleted)
            {
                return;
            }

            child.SendSignalToGroup(signal);
            await Task.WhenAny(exited, Task.Delay(milliseconds)).ConfigureAwait(false);
        }
    }

    private static Command ToCommand(JobRequest request)
    {
        // The same translation the gamut.command job uses, so a job runs alike here and on a remote worker.
        var command = CommandJob.ToCommand(request.Spec);
        if (request.Program is { } program && request.Spec.Shell is null)
        {
            // Found once per run on PATH (DirectExec): not searched again for every job.
            command = command.WithResolvedPath(program);
        }

        return request.Routing switch
        {
            OutputRouting.Inherit => command.WithStandardOutput(OutputTarget.Inherit).WithStandardError(OutputTarget.Inherit),
            OutputRouting.Stream => command
                .WithStandardOutput(OutputTarget.ToStream(new ListenerStream(request, isStderr: false)))
                .WithStandardError(OutputTarget.ToStream(new ListenerStream(request, isStderr: true))),
            _ => command,
        };
    }
}
