using System.Buffers;

namespace Gamut.Processes.Internal;

/// <summary>What a pump reports to the process it serves.</summary>
internal interface IOutputOwner
{
    CancellationToken StopToken { get; }

    void OnOutputLimit(OutputSource source);

    void OnOutputFailed(OutputSource source, Exception error);
}

/// <summary>
/// One output stream of a child (stdout or stderr) as the parent reads it: not read yet (deferred), pumped
/// into a sink (capture, stream, lines) with the output limit applied, or handed raw to the caller.
/// </summary>
internal sealed class OutputChannel(IOutputOwner owner, OutputSource source, PipeEnd? pipe, long? limit, StderrTail? tail)
{
    private const int Idle = 0, Pumping = 1, Taken = 2;
    private const int SmallBuffer = 1024, MediumBuffer = 64 * 1024, LargeBuffer = 1024 * 1024;

    private readonly TaskCompletionSource _claimed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state = pipe is null ? Taken : Idle;

    public OutputSource Source => source;

    public PipeEnd? Pipe => pipe;

    /// <summary>Completes when the pump has read to the end (never faults).</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>Completes once something reads this stream (a pump, or the caller); at once when it is not piped here.</summary>
    public Task Claimed => pipe is null ? Task.CompletedTask : _claimed.Task;

    /// <summary>What was captured, when this stream was captured.</summary>
    public CaptureSink? Captured { get; private set; }

    /// <summary>Starts pumping into <paramref name="sink"/>; false if already pumping or taken.</summary>
    public bool TryStart(OutputSink sink)
    {
        if (Interlocked.CompareExchange(ref _state, Pumping, Idle) != Idle)
        {
            return false;
        }

        Captured = sink as CaptureSink;
        if (Captured is not null)
        {
            // Capturing runs no caller code: it may run where the data arrives.
            pipe!.ContinueInline();
        }

        Completion = PumpAsync(sink);
        _claimed.TrySetResult();
        return true;
    }

    /// <summary>Starts capturing, unless something else already reads this stream.</summary>
    public void StartCaptureIfIdle()
    {
        if (Volatile.Read(ref _state) == Idle)
        {
            TryStart(new CaptureSink());
        }
    }

    /// <summary>Hands the raw pipe to the caller.</summary>
    /// <exception cref="InvalidOperationException">The stream is not piped to the parent, or is already being read.</exception>
    public PipeEnd TakeRaw()
    {
        if (pipe is null || Interlocked.CompareExchange(ref _state, Taken, Idle) != Idle)
        {
            throw AlreadyTaken();
        }

        _claimed.TrySetResult();
        return pipe;
    }

    public InvalidOperationException AlreadyTaken() => new(pipe is null
        ? $"{Name} is not piped to this process: set the command's target to OutputTarget.Capture to read it here"
        : $"{Name} is already being read (as a stream, as lines, or captured after WaitForExitAsync); it can be taken once");

    /// <summary>Whether this stream is piped here and nothing reads it yet.</summary>
    public bool IsIdle => pipe is not null && Volatile.Read(ref _state) == Idle;

    /// <summary>Whether the caller took the raw pipe (then the caller, not the pump, closes it).</summary>
    public bool IsTaken => Volatile.Read(ref _state) == Taken && pipe is not null;

    private string Name => source == OutputSource.StandardOutput ? "Standard output" : "Standard error";

    private async Task PumpAsync(OutputSink sink)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(SmallBuffer);
        long count = 0;
        try
        {
            while (true)
            {
                var n = await pipe!.ReadAsync(buffer, CancellationToken.None).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                var chunk = buffer.AsMemory(0, n);
                var over = false;
                if (limit is { } max && count + n > max)
                {
                    chunk = chunk[..(int)(max - count)];
                    over = true;
                }

                count += chunk.Length;
                tail?.Append(chunk.Span);
                if (!chunk.IsEmpty)
                {
                    await sink.WriteAsync(chunk, owner.StopToken).ConfigureAwait(false);
                }

                if (over)
                {
                    owner.OnOutputLimit(source);
                    break;
                }

                if (n == buffer.Length && buffer.Length < LargeBuffer)
                {
                    // A full read: this is a bulk stream, read it in larger pieces.
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(buffer.Length < MediumBuffer ? MediumBuffer : LargeBuffer);
                }
            }

            await sink.CompleteAsync(owner.StopToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            owner.OnOutputFailed(source, e);
        }
        finally
        {
            (sink as CompletionHookSink)?.Finish();
            ArrayPool<byte>.Shared.Return(buffer);

            // Closing our end also tells a child still writing (past the limit) that nobody listens: EPIPE.
            pipe!.Dispose();
        }
    }
}
