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

/// <summary>Lines into a channel that the caller enumerates; the channel completes when every writer is done.</summary>
internal sealed class LineChannel<T>
{
    private readonly Channel<T> _channel = Channel.CreateBounded<T>(new BoundedChannelOptions(1024)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private int _writers;

    public LineChannel(int writers) => _writers = writers;

    public ChannelReader<T> Reader => _channel.Reader;

    public OutputSink CreateSink(Func<string, T> wrap) => new LinesSink((line, ct) => _channel.Writer.WriteAsync(wrap(line), ct))
        .OnComplete(WriterDone);

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
