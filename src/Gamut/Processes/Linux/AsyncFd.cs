using System.Runtime.CompilerServices;
using Gamut.Processes.Internal;
using Microsoft.Win32.SafeHandles;

namespace Gamut.Processes.Linux;

/// <summary>
/// A non-blocking descriptor (a pipe end or a pidfd) served by the <see cref="Reactor"/>: reads and writes
/// try the system call first and wait for readiness only on EAGAIN. At most one read and one write may be in
/// flight at a time.
/// </summary>
internal sealed class AsyncFd : PipeEnd
{
    /// <summary>Pipes grow to this size once a stream proves to be bulk (Linux's default is 64 KiB).</summary>
    public const int LargePipeSize = 1 << 20;

    // Pipe capacity is charged to the user (pipe-user-pages-soft); only a few pipes are enlarged at once.
    private const int MaxLargePipes = 32;
    private static int s_largePipes;

    private readonly SafeFileHandle _handle;
    private readonly ReadinessWaiter _readable = new();
    private readonly ReadinessWaiter _writable = new();
    private readonly int _rawFd;
    private volatile bool _forceEof;
    private bool _enlarged;
    private bool _readBefore;
    private Timer? _eofTimer;
    private int _disposed;

    private AsyncFd(SafeFileHandle handle)
    {
        _handle = handle;
        _rawFd = (int)handle.DangerousGetHandle();
    }

    /// <summary>The reactor's token for this descriptor (slot and generation, see <see cref="Internal.SlotTable{T}"/>).</summary>
    public ulong Token { get; set; }

    /// <summary>The read-readiness event count (for pidfds: "the process exited").</summary>
    public ReadinessWaiter Readable => _readable;

    /// <inheritdoc/>
    public override void ContinueInline() => _readable.Inline = true;

    /// <summary>Takes ownership of <paramref name="fd"/>, makes it non-blocking and registers it (closing it if that fails).</summary>
    public static AsyncFd Register(int fd, bool setNonBlocking = true)
    {
        if (setNonBlocking)
        {
            // A fresh pipe end has no other status flag to keep (the access mode is not changed by F_SETFL).
            Libc.fcntl(fd, Libc.F_SETFL, Libc.O_NONBLOCK);
        }

        var result = new AsyncFd(new SafeFileHandle(fd, ownsHandle: true));
        try
        {
            Reactor.Instance.Register(result, fd);
        }
        catch
        {
            // Not registered: close it here, or it would wait for the finalizer.
            result._handle.Dispose();
            throw;
        }

        return result;
    }

    /// <summary>Called by the reactor thread with the epoll event flags.</summary>
    public void OnEvents(uint events)
    {
        if ((events & (Libc.EPOLLIN | Libc.EPOLLHUP | Libc.EPOLLERR | Libc.EPOLLRDHUP)) != 0)
        {
            _readable.Signal();
        }

        if ((events & (Libc.EPOLLOUT | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0)
        {
            _writable.Signal();
        }
    }

    /// <summary>
    /// Reads what is there, or waits for data; 0 at end of stream. After <see cref="ForceEofAfter"/> has
    /// expired, an empty pipe also counts as the end (a process outside the group may still hold it open).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (!_readBefore)
        {
            // Registration reports data already there (epoll queues an event at EPOLL_CTL_ADD for a ready
            // descriptor), so the first read of a fresh pipe can wait instead of trying and meeting EAGAIN.
            _readBefore = true;
            await _readable.WaitAsync(0, cancellationToken).ConfigureAwait(false);
        }

        while (true)
        {
            var sequence = _readable.Sequence;
            var n = TryRead(buffer.Span, out var errno);
            if (n >= 0)
            {
                // 64 KiB at once is a full default pipe: a bulk stream, worth a larger pipe.
                if (n >= 1 << 16)
                {
                    Enlarge();
                }

                return n;
            }

            if (errno != Libc.EAGAIN)
            {
                throw new IOException($"Reading a pipe failed ({Libc.Describe(errno)})");
            }

            if (_forceEof)
            {
                return 0;
            }

            await _readable.WaitAsync(sequence, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes all of <paramref name="buffer"/>, waiting for room as needed.</summary>
    /// <exception cref="PipeClosedException">The reading end is closed (EPIPE).</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            var sequence = _writable.Sequence;
            var n = TryWrite(buffer.Span, out var errno);
            if (n >= 0)
            {
                buffer = buffer[n..];
                continue;
            }

            if (errno == Libc.EPIPE)
            {
                throw new PipeClosedException();
            }

            if (errno != Libc.EAGAIN)
            {
                throw new IOException($"Writing a pipe failed ({Libc.Describe(errno)})");
            }

            Enlarge();
            await _writable.WaitAsync(sequence, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A blocking read (for the synchronous <see cref="Stream"/> methods).</summary>
    public override int Read(Span<byte> buffer)
    {
        while (true)
        {
            var n = TryRead(buffer, out var errno);
            if (n >= 0)
            {
                return n;
            }

            if (errno != Libc.EAGAIN)
            {
                throw new IOException($"Reading a pipe failed ({Libc.Describe(errno)})");
            }

            if (_forceEof)
            {
                return 0;
            }

            Poll(Libc.POLLIN);
        }
    }

    /// <summary>A blocking write of all of <paramref name="buffer"/>.</summary>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var n = TryWrite(buffer, out var errno);
            if (n >= 0)
            {
                buffer = buffer[n..];
                continue;
            }

            if (errno == Libc.EPIPE)
            {
                throw new PipeClosedException();
            }

            if (errno != Libc.EAGAIN)
            {
                throw new IOException($"Writing a pipe failed ({Libc.Describe(errno)})");
            }

            Poll(Libc.POLLOUT);
        }
    }

    /// <summary>From <paramref name="delay"/> on, an empty pipe reads as end of stream.</summary>
    public override void ForceEofAfter(TimeSpan delay)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        if (delay <= TimeSpan.Zero)
        {
            ForceEof();
            return;
        }

        _eofTimer = new Timer(static s => ((AsyncFd)s!).ForceEof(), this, delay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Runs <paramref name="action"/> with the raw descriptor, kept open for the duration.</summary>
    /// <returns>False when the descriptor is already closed.</returns>
    public bool TryUse<TState>(TState state, Action<int, TState> action) =>
        WithDescriptor((state, action), static (fd, s) =>
        {
            s.action(fd, s.state);
            return (1, 0);
        }, whenClosed: (0, 0)).Result == 1;

    /// <summary>Runs <paramref name="call"/> with the raw descriptor, kept open for the duration.</summary>
    /// <returns>The call's result, or -1 with <paramref name="errno"/> = EBADF once closed.</returns>
    public int Use(Func<int, int> call, out int errno)
    {
        (var result, errno) = WithDescriptor(call, static (fd, c) =>
        {
            var r = c(fd);
            return (r, r < 0 ? Libc.Errno : 0);
        }, whenClosed: (-1, Libc.EBADF));
        return result;
    }

    /// <summary>Unregisters, releases any waiter and closes the descriptor (once no call is using it).</summary>
    public override void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _eofTimer?.Dispose();
        Reactor.Instance.Unregister(this);
        _readable.Close();
        _writable.Close();
        if (_enlarged)
        {
            Interlocked.Decrement(ref s_largePipes);
        }

        _handle.Dispose();
    }

    private void ForceEof()
    {
        _forceEof = true;
        _readable.Signal();
    }

    /// <summary>
    /// The one place the raw descriptor is used: <paramref name="call"/> runs with the handle's reference count
    /// raised, so a concurrent <see cref="Dispose"/> cannot close (and the kernel reuse) the number under it.
    /// Once closed, returns <paramref name="whenClosed"/> without calling.
    /// </summary>
    private (int Result, int Errno) WithDescriptor<TState>(TState state, Func<int, TState, (int, int)> call, (int, int) whenClosed)
        where TState : allows ref struct
    {
        var added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            return whenClosed;
        }

        try
        {
            return call(_rawFd, state);
        }
        finally
        {
            _handle.DangerousRelease();
        }
    }

    // Closed under a read: the output was abandoned, and the stream ends here.
    private int TryRead(Span<byte> buffer, out int errno)
    {
        (var n, errno) = WithDescriptor(buffer, ReadRetrying, whenClosed: (0, 0));
        return n;
    }

    // Closed under a write: to the writer, the reader is gone.
    private int TryWrite(ReadOnlySpan<byte> buffer, out int errno)
    {
        (var n, errno) = WithDescriptor(buffer, WriteRetrying, whenClosed: (-1, Libc.EPIPE));
        return n;
    }

    private static unsafe (int, int) ReadRetrying(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = (int)Libc.read(fd, p, buffer.Length);
                if (n >= 0)
                {
                    return (n, 0);
                }

                if (Libc.Errno is var errno && errno != Libc.EINTR)
                {
                    return (-1, errno);
                }
            }
        }
    }

    private static unsafe (int, int) WriteRetrying(int fd, ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = (int)Libc.write(fd, p, buffer.Length);
                if (n >= 0)
                {
                    return (n, 0);
                }

                if (Libc.Errno is var errno && errno != Libc.EINTR)
                {
                    return (-1, errno);
                }
            }
        }
    }

    private void Poll(short events)
    {
        // Closed meanwhile: nothing to wait for; the next read or write sees it.
        WithDescriptor(events, PollOnce, whenClosed: (0, 0));
    }

    private static unsafe (int, int) PollOnce(int fd, short events)
    {
        var pfd = stackalloc short[4];
        *(int*)pfd = fd;
        pfd[2] = events;
        pfd[3] = 0;
        return (Libc.poll(pfd, 1, -1), 0);
    }

    private void Enlarge()
    {
        if (_enlarged)
        {
            return;
        }

        _enlarged = true;
        if (Interlocked.Increment(ref s_largePipes) > MaxLargePipes)
        {
            Interlocked.Decrement(ref s_largePipes);
            _enlarged = false;
            return;
        }

        // Failure (EPERM over the per-user limit) only means the pipe keeps its size.
        Use(static fd => Libc.fcntl(fd, Libc.F_SETPIPE_SZ, LargePipeSize), out _);
    }
}
