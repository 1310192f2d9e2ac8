using System.Threading.Channels;
using Gamut.Processes.Internal;

namespace Gamut.Processes.Fallback;

/// <summary>Two output streams read as one (the fallback's <c>2&gt;&amp;1</c>): pieces in the order they arrive.</summary>
internal sealed class MergedPipeEnd : PipeEnd
{
    private readonly Channel<byte[]> _pieces = Channel.CreateBounded<byte[]>(16);
    private readonly Stream[] _streams;
    private readonly CancellationTokenSource _eof = new();
    private byte[] _current = [];
    private int _offset;

    public MergedPipeEnd(Stream first, Stream second)
    {
        _streams = [first, second];
        _ = Task.WhenAll(PumpAsync(first), PumpAsync(second)).ContinueWith(
            _ => _pieces.Writer.TryComplete(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (_offset == _current.Length)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _eof.Token);
            try
            {
                if (!await _pieces.Reader.WaitToReadAsync(linked.Token).ConfigureAwait(false))
                {
                    return 0;
                }
            }
            catch (OperationCanceledException) when (_eof.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                return 0;
            }

            if (_pieces.Reader.TryRead(out var piece))
            {
                (_current, _offset) = (piece, 0);
            }
        }

        var n = Math.Min(buffer.Length, _current.Length - _offset);
        _current.AsMemory(_offset, n).CopyTo(buffer);
        _offset += n;
        return n;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken) => throw new NotSupportedException();

    public override int Read(Span<byte> buffer)
    {
        var array = new byte[buffer.Length];
        var n = ReadAsync(array, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        array.AsSpan(0, n).CopyTo(buffer);
        return n;
    }

    public override void Write(ReadOnlySpan<byte> buffer) => throw new NotSupportedException();

    public override void ForceEofAfter(TimeSpan delay)
    {
        try
        {
            _eof.CancelAfter(delay);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public override void Dispose()
    {
        foreach (var stream in _streams)
        {
            stream.Dispose();
        }
    }

    private async Task PumpAsync(Stream stream)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                await _pieces.Writer.WriteAsync(buffer.AsSpan(0, n).ToArray()).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }
    }
}
