using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Gamut.Processes.Internal;

/// <summary>Where a pump delivers the bytes it reads from a child's stdout or stderr.</summary>
internal abstract class OutputSink
{
    public abstract ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    public virtual ValueTask CompleteAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

/// <summary>Keeps everything in memory.</summary>
internal sealed class CaptureSink : OutputSink
{
    public CaptureBuffer Buffer { get; } = new();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        Buffer.Append(data.Span);
        return ValueTask.CompletedTask;
    }
}

/// <summary>Copies into a caller's stream.</summary>
internal sealed class StreamSink(Stream stream) : OutputSink
{
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        stream.WriteAsync(data, cancellationToken);

    public override ValueTask CompleteAsync(CancellationToken cancellationToken) =>
        new(stream.FlushAsync(cancellationToken));
}

/// <summary>Splits into lines and hands each to a callback.</summary>
internal sealed class LinesSink(Func<string, CancellationToken, ValueTask> onLine) : OutputSink
{
    private readonly LineSplitter _splitter = new();
    private CancellationToken _token;

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        _token = cancellationToken;
        return _splitter.PushAsync(data, Deliver);
    }

    public override ValueTask CompleteAsync(CancellationToken cancellationToken) =>
        _splitter.Flush() is { } last ? onLine(last, cancellationToken) : ValueTask.CompletedTask;

    private ValueTask Deliver(string line) => onLine(line, _token);
}

/// <summary>
/// Lines into a channel that the caller enumerates; the channel completes when every writer is done. When the
/// caller leaves the enumeration (or the process is disposed) the channel is abandoned: what is queued is
/// dropped and later lines are discarded, so a pump never waits on a reader that is gone.
/// </summary>
internal sealed class LineChannel<T>
{
    private readonly Channel<T> _channel = Channel.CreateBounded<T>(new BoundedChannelOptions(1024)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private int _writers;
    private volatile bool _abandoned;

    public LineChannel(int writers) => _writers = writers;

    public OutputSink CreateSink(Func<string, T> wrap) => new LinesSink((line, ct) => _abandoned ? ValueTask.CompletedTask : _channel.Writer.WriteAsync(wrap(line), ct))
        .OnComplete(WriterDone);

    public async IAsyncEnumerable<T> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var item in _channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return item;
            }
        }
        finally
        {
            Abandon();
        }
    }

    public void Abandon()
    {
        _abandoned = true;

        // Frees a writer blocked on a full channel; the flag keeps it from filling it again.
        while (_channel.Reader.TryRead(out _))
        {
        }
    }

    private void WriterDone()
    {
        if (Interlocked.Decrement(ref _writers) == 0)
        {
            _channel.Writer.TryComplete();
        }
    }
}

/// <summary>Runs an action after a sink completes (or its pump ends), exactly once.</summary>
internal sealed class CompletionHookSink(OutputSink inner, Action done) : OutputSink
{
    private int _done;

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        inner.WriteAsync(data, cancellationToken);

    public override async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        try
        {
            await inner.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Finish();
        }
    }

    /// <summary>Called by the pump when it ends without completing normally.</summary>
    public void Finish()
    {
        if (Interlocked.Exchange(ref _done, 1) == 0)
        {
            done();
        }
    }
}

internal static class OutputSinkExtensions
{
    public static OutputSink OnComplete(this OutputSink sink, Action done) => new CompletionHookSink(sink, done);
}
