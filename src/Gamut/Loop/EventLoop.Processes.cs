using Gamut.Processes;

namespace Gamut.Loop;

public sealed partial class EventLoop
{
    /// <summary>
    /// Starts <paramref name="command"/> and delivers its output lines and its exit to <paramref name="protocol"/> on
    /// the loop thread. From any thread. The command's output must be captured (the default), so the lines can be read.
    /// </summary>
    /// <param name="command">The command.</param>
    /// <param name="protocol">Its handler.</param>
    /// <param name="cancellationToken">Stops the command (SIGTERM to its group, then SIGKILL after the grace period).</param>
    /// <returns>Completes (on the loop) with the exit status, after <see cref="ProcessProtocol.OnExited"/> ran.</returns>
    /// <exception cref="CommandStartException">The command could not start (the task faults with it).</exception>
    public Task<ProcessExitStatus> StartProcess(Command command, ProcessProtocol protocol, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(protocol);
        return SubmitAsync(async _ =>
        {
            await using var process = command.Start(cancellationToken);
            protocol.Attach(process);
            Deliver(protocol.OnStarted);

            // Each await resumes on the loop (its synchronization context), so every event below is on the loop thread.
            await foreach (var line in process.ReadLinesAsync(CancellationToken.None))
            {
                if (line.StandardError)
                {
                    Deliver(protocol.OnErrorOutput, line.Content);
                }
                else
                {
                    Deliver(protocol.OnOutput, line.Content);
                }
            }

            try
            {
                await process.WaitForExitAsync(CancellationToken.None);
            }
            catch (Exception e) when (e is not OperationCanceledException && process.ExitStatus is not null)
            {
                // The command's own rules (a non-zero exit, a timeout) are for its callers; the protocol gets the exit.
            }

            var status = process.ExitStatus!;
            Deliver(protocol.OnExited, status);
            return status;
        }, cancellationToken: CancellationToken.None);
    }

    // A handler that throws is reported like any loop callback; the process's other events still arrive.
    private void Deliver(Action handler)
    {
        try
        {
            handler();
        }
        catch (Exception e)
        {
            OnCallbackFailed(e);
        }
    }

    private void Deliver<T>(Action<T> handler, T value)
    {
        try
        {
            handler(value);
        }
        catch (Exception e)
        {
            OnCallbackFailed(e);
        }
    }
}
