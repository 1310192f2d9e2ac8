using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Gamut.Processes.Internal;

namespace Gamut.Processes;

/// <summary>
/// A running command (from <see cref="Command.Start"/>): its pid, its standard streams, its exit, and
/// signals to it. Dispose it (<c>await using</c>): disposal stops the command if it still runs, so nothing
/// outlives the handle.
/// </summary>
/// <remarks>
/// <para>Streams whose target is <see cref="OutputTarget.Capture"/> are offered here, as a raw
/// <see cref="Stream"/> or as lines; each can be taken once. What nobody takes is captured into the
/// <see cref="CommandResult"/> once <see cref="WaitForExitAsync"/>, <see cref="StopAsync"/> or disposal asks
/// for the result (until then it is not read, so a chatty child waits). Read what you take: a child blocks
/// when a pipe is full.</para>
/// <para>Every stop (<see cref="StopAsync"/>, the timeout, the cancellation token given to
/// <see cref="Command.Start"/>, the output limit, disposal) sends SIGTERM (and SIGCONT) to the process group,
/// waits the grace period, then sends SIGKILL to the group, and completes only when the group is empty.</para>
/// </remarks>
public sealed partial class ChildProcess : IAsyncDisposable, IOutputOwner
{
    // How long an output pipe may stay open after the whole group is gone (held by a process that escaped
    // the group with setsid) before an empty pipe counts as its end.
    private static readonly TimeSpan PipeLinger = TimeSpan.FromMilliseconds(200);

    private readonly Command _command;
    private readonly IChildHandle _handle;
    private readonly OutputChannel _stdout;
    private readonly OutputChannel _stderr;
    private readonly StderrTail? _tail;
    private readonly DateTimeOffset _startTime;
    private readonly long _startTimestamp;
    private readonly CancellationToken _cancellationToken;
    private readonly CancellationTokenSource? _stopSource;
    private Task<CommandResult> _completion = null!;

    // What callers await: completed from _completion, but never running their continuations on the thread
    // that finished the command (which may be the reactor).
    private readonly TaskCompletionSource<CommandResult> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _stdinFeeder = Task.CompletedTask;
    private ChildProcess[] _upstream = [];
    private Stream? _stdinStream;
    private Stream? _stdoutStream;
    private Stream? _stderrStream;
    private readonly object _gate = new();
    private List<Action>? _abandonLineReaders;
    private int _stopReason;
    private int _termSent;
    private int _killSent;
    private TimeSpan _gracePeriod;
    private Timer? _timeoutTimer;
    private Timer? _killTimer;
    private CancellationTokenRegistration _cancelRegistration;
    private OutputSource _limitSource;
    private Exception? _failure;

    private ChildProcess(Command command, IChildHandle handle, DateTimeOffset startTime, long startTimestamp, CancellationToken cancellationToken)
    {
        _command = command;
        _handle = handle;
        _startTime = startTime;
        _startTimestamp = startTimestamp;
        _cancellationToken = cancellationToken;
        _gracePeriod = command.GracePeriod;
        var passesStderr = handle.StandardError is not null;
        _tail = passesStderr ? new StderrTail() : null;
        _stdout = new OutputChannel(this, OutputSource.StandardOutput, handle.StandardOutput, command.OutputLimit, null);
        _stderr = new OutputChannel(this, OutputSource.StandardError, handle.StandardError, command.OutputLimit, _tail);
        if (command.StandardOutput.Kind is OutputTarget.TargetKind.Lines or OutputTarget.TargetKind.Stream ||
            command.StandardError.Kind is OutputTarget.TargetKind.Lines or OutputTarget.TargetKind.Stream ||
            command.StandardInput.Kind == InputSource.InputKind.Stream)
        {
            _stopSource = new CancellationTokenSource();
        }
    }

    /// <summary>The command that runs.</summary>
    public Command Command => _command;

    /// <summary>The process id.</summary>
    public int Id => _handle.ProcessId;

    /// <summary>When it started.</summary>
    public DateTimeOffset StartTime => _startTime;

    /// <summary>Whether the process has exited (its output may still be arriving).</summary>
    public bool HasExited => _handle.Exited.IsCompleted;

    /// <summary>How the process ended, or null while it runs.</summary>
    public ProcessExitStatus? ExitStatus => _handle.Exited.IsCompleted
        ? _handle.Exited.Result with { Canceled = _stopReason != 0 }
        : null;

    /// <summary>Why Gamut stopped the command, or <see cref="CommandStopReason.None"/> (so far).</summary>
    public CommandStopReason StopReason => (CommandStopReason)Volatile.Read(ref _stopReason);

    /// <summary>The child's stdin, when the command's source is <see cref="InputSource.Pipe"/>. Dispose it to end the input.</summary>
    /// <exception cref="InvalidOperationException">Stdin is not a pipe to this process.</exception>
    public Stream StandardInput
    {
        get
        {
            if (_stdinStream is { } s)
            {
                return s;
            }

            if (_command.StandardInput.Kind != InputSource.InputKind.Pipe || _handle.StandardInput is null)
            {
                throw new InvalidOperationException("Standard input is not a pipe to this process: start the command with InputSource.Pipe to write to it");
            }

            Interlocked.CompareExchange(ref _stdinStream, new ChildInputStream(_handle.StandardInput, Id), null);
            return _stdinStream;
        }
    }

    /// <summary>The child's stdout as a raw stream (taken once; then it is not captured).</summary>
    /// <exception cref="InvalidOperationException">It is not captured, or already taken.</exception>
    public Stream StandardOutput => _stdoutStream ??= new ChildOutputStream(_stdout.TakeRaw());

    /// <summary>The child's stderr as a raw stream (taken once; then it is not captured).</summary>
    /// <exception cref="InvalidOperationException">It is not captured, or already taken.</exception>
    public Stream StandardError => _stderrStream ??= new ChildOutputStream(_stderr.TakeRaw());

    /// <summary>
    /// The child's stdout, line by line (UTF-8, without line endings), as it arrives. Leaving the loop early
    /// discards the rest of the stream; an enumeration that is neither read nor left holds the child back
    /// (up to 1,024 lines, then the pipe fills), until the handle is disposed.
    /// </summary>
    /// <param name="cancellationToken">Stops the enumeration (not the process).</param>
    public IAsyncEnumerable<string> ReadOutputLinesAsync(CancellationToken cancellationToken = default) =>
        ReadLinesOf(_stdout, cancellationToken);

    /// <summary>The child's stderr, line by line (UTF-8, without line endings), as it arrives.</summary>
    /// <param name="cancellationToken">Stops the enumeration (not the process).</param>
    public IAsyncEnumerable<string> ReadErrorLinesAsync(CancellationToken cancellationToken = default) =>
        ReadLinesOf(_stderr, cancellationToken);

    /// <summary>
    /// Both output streams merged, each line tagged with its source, in the order lines complete (streams
    /// that go elsewhere, or are already being read, are left out).
    /// </summary>
    /// <param name="cancellationToken">Stops the enumeration (not the process).</param>
    public IAsyncEnumerable<ProcessOutputLine> ReadLinesAsync(CancellationToken cancellationToken = default)
    {
        var channels = new[] { _stdout, _stderr }.Where(c => c.IsIdle).ToArray();
        if (channels.Length == 0)
        {
            throw _stdout.AlreadyTaken();
        }

        var lines = new LineChannel<ProcessOutputLine>(channels.Length);
        foreach (var channel in channels)
        {
            var isError = channel.Source == OutputSource.StandardError;
            if (!channel.TryStart(lines.CreateSink(text => new ProcessOutputLine(text, isError))))
            {
                throw channel.AlreadyTaken();
            }
        }

        TrackLineReader(lines.Abandon);
        return lines.ReadAllAsync(cancellationToken);
    }

    /// <summary>
    /// Waits until the process has exited and its output is complete, then applies the command's rules:
    /// a non-zero exit raises <see cref="CommandExitException"/> (when <see cref="Command.ThrowOnNonZeroExit"/>),
    /// a timeout <see cref="CommandTimeoutException"/>, the output limit <see cref="OutputLimitExceededException"/>,
    /// the start token <see cref="OperationCanceledException"/>. After <see cref="StopAsync"/> it returns the result.
    /// </summary>
    /// <param name="cancellationToken">Stops the wait (not the process).</param>
    public async Task<CommandResult> WaitForExitAsync(CancellationToken cancellationToken = default)
    {
        CaptureUntaken();
        var result = await _done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        ThrowIfFailed(result);
        return result;
    }

    /// <summary>
    /// Sends <paramref name="signal"/> to the process (through its pidfd, so never to a reused pid).
    /// </summary>
    /// <param name="signal">A signal number from 1 to 64 (see <see cref="Signals"/>).</param>
    /// <returns>False when the process has already exited.</returns>
    /// <exception cref="ArgumentOutOfRangeException">Not a signal number.</exception>
    public bool SendSignal(int signal)
    {
        Signals.Validate(signal);
        return _handle.Signal(signal);
    }

    /// <summary>Sends <paramref name="signal"/> to every process in the child's process group.</summary>
    /// <param name="signal">A signal number from 1 to 64.</param>
    /// <returns>False when the group is empty.</returns>
    public bool SendSignalToGroup(int signal)
    {
        Signals.Validate(signal);
        return _handle.SignalGroup(signal);
    }

    /// <summary>
    /// Stops the command: SIGTERM to its group, <paramref name="gracePeriod"/> (the command's by default),
    /// then SIGKILL; returns the result once the group is empty, without raising for the exit code.
    /// </summary>
    /// <param name="gracePeriod">Time between SIGTERM and SIGKILL; the command's <see cref="Command.GracePeriod"/> when null.</param>
    /// <param name="cancellationToken">Stops the wait (the stop goes on).</param>
    public async Task<CommandResult> StopAsync(TimeSpan? gracePeriod = null, CancellationToken cancellationToken = default)
    {
        if (gracePeriod is { } g && g < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(gracePeriod), gracePeriod, "A grace period cannot be negative.");
        }

        RequestStop(CommandStopReason.Requested, gracePeriod);
        CaptureUntaken();
        return await _done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends SIGKILL to the whole group now (no grace); await <see cref="WaitForExitAsync"/> or dispose to see it end.</summary>
    public void Kill()
    {
        RequestStop(CommandStopReason.Requested, TimeSpan.Zero);
        SendKill();
    }

    /// <summary>Stops the command if it still runs (as <see cref="StopAsync"/>) and releases its pipes.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_completion.IsCompleted)
        {
            RequestStop(CommandStopReason.Requested, null);
        }

        CaptureUntaken();
        lock (_gate)
        {
            // Nobody reads those lines any more; the pumps must not wait for a reader.
            _abandonLineReaders?.ForEach(abandon => abandon());
        }

        await _done.Task.ConfigureAwait(false);
        _stdinStream?.Dispose();
        _handle.StandardInput?.Dispose();
        _stdoutStream?.Dispose();
        _stderrStream?.Dispose();
        if (_stdout.IsTaken)
        {
            _handle.StandardOutput?.Dispose();
        }

        if (_stderr.IsTaken)
        {
            _handle.StandardError?.Dispose();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Id}: {_command}";

    CancellationToken IOutputOwner.StopToken => _stopSource?.Token ?? CancellationToken.None;

    void IOutputOwner.OnOutputLimit(OutputSource source)
    {
        _limitSource = source;
        RequestStop(CommandStopReason.OutputLimit, null);
    }

    void IOutputOwner.OnOutputFailed(OutputSource source, Exception error)
    {
        if (error is OperationCanceledException && StopReason != CommandStopReason.None)
        {
            return;
        }

        Interlocked.CompareExchange(ref _failure, error, null);
        RequestStop(CommandStopReason.OutputFailed, null);
    }

    private IAsyncEnumerable<string> ReadLinesOf(OutputChannel channel, CancellationToken cancellationToken)
    {
        var lines = new LineChannel<string>(1);
        if (!channel.TryStart(lines.CreateSink(static text => text)))
        {
            throw channel.AlreadyTaken();
        }

        TrackLineReader(lines.Abandon);
        return lines.ReadAllAsync(cancellationToken);
    }

    private void TrackLineReader(Action abandon)
    {
        lock (_gate)
        {
            (_abandonLineReaders ??= []).Add(abandon);
        }
    }

    private void CaptureUntaken()
    {
        _stdout.StartCaptureIfIdle();
        _stderr.StartCaptureIfIdle();
        foreach (var upstream in _upstream)
        {
            upstream.CaptureUntaken();
        }
    }

    internal void RequestStop(CommandStopReason reason, TimeSpan? gracePeriod)
    {
        if (_completion is { IsCompleted: true } || Interlocked.CompareExchange(ref _stopReason, (int)reason, 0) != 0)
        {
            return;
        }

        if (gracePeriod is { } g)
        {
            _gracePeriod = g;
        }

        foreach (var upstream in _upstream)
        {
            upstream.RequestStop(CommandStopReason.Requested, gracePeriod);
        }

        // Callbacks registered on the stop token are callers' code: run them on the thread pool, not here.
        _ = _stopSource?.CancelAsync();
        BeginGroupStop();
    }

    private void BeginGroupStop()
    {
        if (Interlocked.Exchange(ref _termSent, 1) != 0)
        {
            return;
        }

        _handle.SignalGroup(Signals.Terminate);
        _handle.SignalGroup(Signals.Continue);
        if (_gracePeriod <= TimeSpan.Zero)
        {
            SendKill();
        }
        else
        {
            _killTimer = new Timer(static s => ((ChildProcess)s!).SendKill(), this, _gracePeriod, Timeout.InfiniteTimeSpan);
        }
    }

    private void SendKill()
    {
        Volatile.Write(ref _killSent, 1);
        _handle.SignalGroup(Signals.Kill);
    }

    private void ThrowIfFailed(CommandResult result)
    {
        switch (result.StopReason)
        {
            case CommandStopReason.Timeout:
                throw new CommandTimeoutException(result, _command.Timeout ?? TimeSpan.Zero);
            case CommandStopReason.Canceled:
                throw new OperationCanceledException($"Command '{_command}' was canceled and stopped", _cancellationToken);
            case CommandStopReason.OutputLimit:
                throw new OutputLimitExceededException(result, _command.OutputLimit ?? 0, _limitSource);
            case CommandStopReason.InputFailed:
                throw new CommandInputException(result, _failure!);
            case CommandStopReason.OutputFailed:
                ExceptionDispatchInfo.Throw(_failure!);
                break;
            case CommandStopReason.None when _command.ThrowOnNonZeroExit && !result.ExitStatus.IsSuccess:
                throw new CommandExitException(result);
        }
    }

    private CommandResult BuildResult(ProcessExitStatus exit)
    {
        var reason = StopReason;
        return new CommandResult(
            _command,
            Id,
            exit with { Canceled = reason != CommandStopReason.None },
            reason,
            _startTime,
            _startTime + Stopwatch.GetElapsedTime(_startTimestamp),
            _stdout.Captured?.Buffer.ToArray() ?? [],
            _stderr.Captured?.Buffer.ToArray() ?? [],
            _tail?.ToString() ?? "");
    }
}
