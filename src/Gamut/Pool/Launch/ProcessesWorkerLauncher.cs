using Gamut.Processes;

namespace Gamut.Pool.Launch;

/// <summary>
/// Starts workers through Gamut.Processes: posix_spawn into a process group of their own (a worker's children are
/// stopped with it), exit tracked by pidfd (the real signal, no 128 + N guessing), stdin from /dev/null, stdout and
/// stderr read line by line, and the subprocess layer's parent-exit watchdog.
/// </summary>
internal sealed class ProcessesWorkerLauncher : IWorkerLauncher
{
    public IWorkerProcess Start(WorkerStartInfo info)
    {
        var command = Command.Create(info.FileName, info.Arguments)
            .WithWorkingDirectory(info.WorkingDirectory)
            .WithEnvironment(info.Environment)
            .WithStandardInput(InputSource.Null)
            .WithStandardOutput(OutputTarget.ToLines(info.OnStdout))
            .WithStandardError(OutputTarget.ToLines(info.OnStderr))
            .WithThrowOnNonZeroExit(false)
            .WithKillOnParentExit(true)
            .WithStopProcessGroupOnExit(true);
        try
        {
            return new Worker(command.Start());
        }
        catch (CommandException e)
        {
            throw new WorkerStartException($"Could not start {info.FileName}: {e.Message}", e);
        }
    }

    private sealed class Worker : IWorkerProcess
    {
        private readonly ChildProcess _child;

        public Worker(ChildProcess child)
        {
            _child = child;
            Pid = child.Id;
            Exited = WaitAsync();
        }

        public int Pid { get; }

        public Task<WorkerExit> Exited { get; }

        // The whole group: whatever the worker's job started goes with it.
        public bool Signal(int signal) => !Exited.IsCompleted && _child.SendSignalToGroup(signal);

        public void Dispose() => _ = _child.DisposeAsync().AsTask();

        private async Task<WorkerExit> WaitAsync()
        {
            var result = await _child.WaitForExitAsync().ConfigureAwait(false);
            return result.Signal is { } signal ? new WorkerExit(null, signal) : new WorkerExit(result.ExitCode, null);
        }
    }
}
