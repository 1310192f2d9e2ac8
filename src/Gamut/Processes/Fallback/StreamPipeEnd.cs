using Gamut.Processes.Internal;

namespace Gamut.Processes.Fallback;

/// <summary>A <see cref="PipeEnd"/> over one of <c>System.Diagnostics.Process</c>'s redirected streams.</summary>
internal sealed class StreamPipeEnd(Stream stream) : PipeEnd
{
    private readonly CancellationTokenSource _eof = new();
    private int _disposed;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _eof.Token);
        try
        {
            return await stream.ReadAsync(buffer, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_eof.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return 0;
        }
        catch (ObjectDisposedException)
        {
            return 0;
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            await stream.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            throw new PipeClosedException();
        }
    }

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return stream.Read(buffer);
        }
        catch (ObjectDisposedException)
        {
            return 0;
        }
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        try
        {
            stream.Write(buffer);
            stream.Flush();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            throw new PipeClosedException();
        }
    }

    public override void ForceEofAfter(TimeSpan delay)
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            try
            {
                _eof.CancelAfter(delay);
            }
            catch (ObjectDisposedException)
            {
                // Closed meanwhile: nothing left to end.
            }
        }
    }

    public override void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            stream.Dispose();
            _eof.Dispose();
        }
    }
}
