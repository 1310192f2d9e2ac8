namespace Gamut.Cli.Run.Output;

/// <summary>
/// gamut's own stdout and stderr, buffered, written under one lock. When stdout's reader goes away (EPIPE:
/// <c>gamut run … | head -1</c>), writing stops quietly and <see cref="StdoutClosed"/> tells the run to wind down
/// — the same clean end a SIGPIPE gives a C program, without its abruptness (jobs stopped, joblog written).
/// </summary>
internal sealed class OutputStreams : IDisposable
{
    private readonly Stream _out;
    private readonly Stream _err;
    private volatile bool _outClosed;

    public OutputStreams(Stream stdout, Stream stderr)
    {
        _out = new BufferedStream(stdout, 64 * 1024);
        _err = new BufferedStream(stderr, 16 * 1024);
    }

    /// <summary>Taken around every write that must not interleave with another job's.</summary>
    public Lock Gate { get; } = new();

    public bool StdoutClosed => _outClosed;

    /// <summary>Raised once, from the writing thread, when stdout is found closed.</summary>
    public event Action? StdoutBroken;

    public void Write(bool isStderr, ReadOnlySpan<byte> data)
    {
        if (isStderr)
        {
            try
            {
                _err.Write(data);
            }
            catch (IOException)
            {
                // Nowhere left to report it.
            }
        }
        else if (!_outClosed)
        {
            try
            {
                _out.Write(data);
            }
            catch (IOException)
            {
                OnStdoutBroken();
            }
        }
    }

    /// <summary>Writes <paramref name="data"/> with <paramref name="tag"/> before every line (a last partial line too).</summary>
    public void WriteTagged(bool isStderr, byte[]? tag, ReadOnlySpan<byte> data)
    {
        if (tag is null)
        {
            Write(isStderr, data);
            return;
        }

        while (data.Length > 0)
        {
            var nl = data.IndexOf((byte)'\n');
            var line = nl < 0 ? data : data[..(nl + 1)];
            Write(isStderr, tag);
            Write(isStderr, line);
            data = data[line.Length..];
        }
    }

    public void Flush()
    {
        if (!_outClosed)
        {
            try
            {
                _out.Flush();
            }
            catch (IOException)
            {
                OnStdoutBroken();
            }
        }

        try
        {
            _err.Flush();
        }
        catch (IOException)
        {
        }
    }

    public void Dispose() => Flush();

    private void OnStdoutBroken()
    {
        if (!_outClosed)
        {
            _outClosed = true;
            StdoutBroken?.Invoke();
        }
    }
}
