using System.Buffers;
using System.Diagnostics;
using Gamut.Processes.Internal;

namespace Gamut.Processes;

/// <summary>Starting a child, feeding it, and seeing it through to the end.</summary>
public sealed partial class ChildProcess
{
    /// <summary>How a child is wired when it starts: alone, or as a stage of a pipeline.</summary>
    internal readonly record struct StartOptions(bool ForRun, ChildStdio? Stdin = null, ChildStdio? Stdout = null);

    /// <summary>Starts <paramref name="command"/>.</summary>
    /// <param name="command">The command.</param>
    /// <param name="options">Run-to-completion or streaming; overrides for pipeline stages.</param>
    /// <param name="cancellationToken">Stops the command when cancelled.</param>
    internal static ChildProcess Start(Command command, StartOptions options, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (options.Stdin is null && command.StandardInput is InputSource.CommandInput)
        {
            return StageRunner.StartChain(command, options, cancellationToken);
        }

        var request = LaunchPlanner.Plan(
            command,
            options.Stdin ?? StdinWiring(command.StandardInput, options.ForRun),
            options.Stdout ?? OutputWiring(command.StandardOutput),
            command.StandardError.Kind == OutputTarget.TargetKind.StandardOutput ? new ChildStdio(StdioKind.SameAsStdout) : OutputWiring(command.StandardError));
        var startTime = DateTimeOffset.UtcNow;
        var startTimestamp = Stopwatch.GetTimestamp();
        var handle = Spawner.Spawn(request);
        var child = new ChildProcess(command, handle, startTime, startTimestamp, cancellationToken);
        child.Begin(options.ForRun, stdoutIsOurs: options.Stdout is null);
        return child;
    }

    /// <summary>Links the earlier stages of a pipeline to this, its last stage: they stop with it and it completes after them.</summary>
    internal void AdoptUpstream(ChildProcess[] upstream) => _upstream = upstream;

    /// <summary>The fallback's pipeline link: copies <paramref name="upstream"/>'s stdout into this child's stdin.</summary>
    internal void RelayFrom(ChildProcess upstream)
    {
        var source = upstream._stdout.TakeRaw();
        var target = _handle.StandardInput!;
        _stdinFeeder = RelayAsync(source, target);
    }

    /// <summary>Waits for the end and returns the result, whatever it is (pipelines judge it themselves).</summary>
    internal Task<CommandResult> Completion => _done.Task;

    /// <summary>Raises what <see cref="WaitForExitAsync"/> would raise for <paramref name="result"/>.</summary>
    internal void ThrowIfFailedFor(CommandResult result) => ThrowIfFailed(result);

    private static async Task RelayAsync(PipeEnd source, PipeEnd target)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int n;
            while ((n = await source.ReadAsync(buffer, CancellationToken.None).ConfigureAwait(false)) > 0)
            {
                await target.WriteAsync(buffer.AsMemory(0, n), CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (IOException)
        {
            // The downstream stage stopped reading: the upstream one gets EPIPE when it writes, as in a shell.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            source.Dispose();
            target.Dispose();
        }
    }

    private static ChildStdio StdinWiring(InputSource source, bool forRun) => source.Kind switch
    {
        InputSource.InputKind.Null => ChildStdio.Null,
        InputSource.InputKind.Inherit => ChildStdio.Inherit,
        InputSource.InputKind.Pipe => forRun ? ChildStdio.Null : ChildStdio.Pipe,
        InputSource.InputKind.Bytes => ((InputSource.BytesInput)source).Bytes.IsEmpty ? ChildStdio.Null : ChildStdio.Pipe,
        InputSource.InputKind.Stream => ChildStdio.Pipe,
        InputSource.InputKind.File => new ChildStdio(StdioKind.File, ((InputSource.FileInput)source).Path),
        _ => throw new InvalidOperationException($"Unexpected input source {source.Kind}"),
    };

    private static ChildStdio OutputWiring(OutputTarget target) => target.Kind switch
    {
        OutputTarget.TargetKind.Null => ChildStdio.Null,
        OutputTarget.TargetKind.Inherit => ChildStdio.Inherit,
        OutputTarget.TargetKind.File => new ChildStdio(StdioKind.File, ((OutputTarget.FileTarget)target).Path, ((OutputTarget.FileTarget)target).Append),
        _ => ChildStdio.Pipe,
    };

    private static OutputSink? SinkFor(OutputTarget target, bool forRun) => target switch
    {
        OutputTarget.StreamTarget s => new StreamSink(s.Stream),
        OutputTarget.LinesTarget l => new LinesSink(l.OnLine),
        { Kind: OutputTarget.TargetKind.Capture } when forRun => new CaptureSink(),
        _ => null, // captured on demand, or not piped to the parent at all
    };

    private void Begin(bool forRun, bool stdoutIsOurs)
    {
        // A pipeline stage's stdout belongs to the next stage (or, in the fallback, to the relay).
        if (stdoutIsOurs && SinkFor(_command.StandardOutput, forRun) is { } outSink)
        {
            _stdout.TryStart(outSink);
        }

        if (SinkFor(_command.StandardError, forRun) is { } errSink)
        {
            _stderr.TryStart(errSink);
        }

        if (_handle.StandardInput is { } stdin)
        {
            switch (_command.StandardInput)
            {
                case InputSource.BytesInput bytes:
                    _stdinFeeder = FeedAsync(stdin, bytes.Bytes, null, true);
                    break;
                case InputSource.StreamInput stream:
                    _stdinFeeder = FeedAsync(stdin, default, stream.Stream, stream.LeaveOpen);
                    break;
            }
        }

        if (_command.Timeout is { } timeout)
        {
            _timeoutTimer = new Timer(static s => ((ChildProcess)s!).RequestStop(CommandStopReason.Timeout, null), this, timeout, Timeout.InfiniteTimeSpan);
        }

        if (_cancellationToken.CanBeCanceled)
        {
            _cancelRegistration = _cancellationToken.UnsafeRegister(static s => ((ChildProcess)s!).RequestStop(CommandStopReason.Canceled, null), this);
        }

        _completion = RunToEndAsync();
        _completion.ContinueWith(
            static (t, done) => ((TaskCompletionSource<CommandResult>)done!).TrySetFromTask(t),
            _done,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private async Task FeedAsync(PipeEnd stdin, ReadOnlyMemory<byte> bytes, Stream? source, bool leaveOpen)
    {
        byte[]? buffer = null;
        try
        {
            if (source is null)
            {
                await stdin.WriteAsync(bytes, CancellationToken.None).ConfigureAwait(false);
                return;
            }

            buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            var token = ((IOutputOwner)this).StopToken;
            while (true)
            {
                int n;
                try
                {
                    n = await source.ReadAsync(buffer, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (StopReason != CommandStopReason.None)
                {
                    return;
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _failure, e, null);
                    RequestStop(CommandStopReason.InputFailed, null);
                    return;
                }

                if (n == 0)
                {
                    return;
                }

                await stdin.WriteAsync(buffer.AsMemory(0, n), CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (PipeClosedException)
        {
            // The child stopped reading (closed stdin or exited): not an error; its exit status tells the rest.
        }
        catch (IOException)
        {
            // The same, seen differently (the pipe was closed under the write).
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            stdin.Dispose();
            if (source is not null && !leaveOpen)
            {
                await source.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task<CommandResult> RunToEndAsync()
    {
        var exit = await _handle.Exited.ConfigureAwait(false);

        // What the main process left in its group is stopped too, so nothing outlives the command.
        if (StopReason != CommandStopReason.None || _command.StopProcessGroupOnExit)
        {
            if (!_handle.IsGroupEmpty())
            {
                BeginGroupStop();
                await WaitForEmptyGroupAsync().ConfigureAwait(false);
            }

            // The group is empty: a SIGKILL still pending would go to a number that is no longer this group's.
            _killTimer?.Dispose();

            // Whoever still holds an output pipe now escaped the group (setsid); do not wait on it forever.
            LingerThenEnd(_stdout);
            LingerThenEnd(_stderr);
        }

        // A started (not run) command's output is read once the caller takes it or asks for the result.
        await _stdout.Claimed.ConfigureAwait(false);
        await _stderr.Claimed.ConfigureAwait(false);
        await _stdout.Completion.ConfigureAwait(false);
        await _stderr.Completion.ConfigureAwait(false);
        await _stdinFeeder.ConfigureAwait(false);
        foreach (var upstream in _upstream)
        {
            await upstream._completion.ConfigureAwait(false);
        }

        _timeoutTimer?.Dispose();
        _killTimer?.Dispose();
        _cancelRegistration.Dispose();
        if (_command.StandardInput.Kind != InputSource.InputKind.Pipe)
        {
            _handle.StandardInput?.Dispose();
        }

        _handle.Release();
        return BuildResult(exit);
    }

    private static void LingerThenEnd(OutputChannel channel)
    {
        // Usually the pump has already seen the end (the group's exit closed the pipe); only a lagging or
        // held pipe needs the timer.
        if (channel.Pipe is { } pipe && (channel.IsTaken || !(channel.Claimed.IsCompleted && channel.Completion.IsCompleted)))
        {
            pipe.ForceEofAfter(PipeLinger);
        }
    }

    private async Task WaitForEmptyGroupAsync()
    {
        // No event says "the group is empty"; poll, backing off, until SIGKILL has been given time to work.
        var delay = 1;
        long? giveUpAt = null;
        while (!_handle.IsGroupEmpty())
        {
            if (Volatile.Read(ref _killSent) != 0)
            {
                giveUpAt ??= Environment.TickCount64 + 10_000; // processes stuck in uninterruptible sleep
                if (Environment.TickCount64 > giveUpAt)
                {
                    return;
                }
            }

            await Task.Delay(delay).ConfigureAwait(false);
            delay = Math.Min(delay * 2, 50);
        }
    }
}
