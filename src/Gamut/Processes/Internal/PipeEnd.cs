namespace Gamut.Processes.Internal;

/// <summary>The parent's end of a pipe to a child: read from stdout/stderr, or write to stdin.</summary>
internal abstract class PipeEnd : IDisposable
{
    /// <summary>Reads what is available, waiting for data; 0 at end of stream.</summary>
    public abstract ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Writes all of <paramref name="buffer"/>.</summary>
    /// <exception cref="PipeClosedException">The child closed its end.</exception>
    public abstract ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>A blocking read.</summary>
    public abstract int Read(Span<byte> buffer);

    /// <summary>A blocking write.</summary>
    public abstract void Write(ReadOnlySpan<byte> buffer);

    /// <summary>From <paramref name="delay"/> on, an empty pipe reads as its end (a process outside the group may hold it open).</summary>
    public abstract void ForceEofAfter(TimeSpan delay);

    /// <summary>
    /// Lets reads complete on the thread that saw the data arrive (the reactor), for a reader that is
    /// Gamut's own non-blocking code (a capture pump): one thread hop less per wake-up.
    /// </summary>
    public virtual void ContinueInline()
    {
    }

    /// <summary>Closes the parent's end.</summary>
    public abstract void Dispose();
}
