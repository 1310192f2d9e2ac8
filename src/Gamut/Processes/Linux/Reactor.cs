using System.Runtime.InteropServices;
using Gamut.Processes.Internal;

namespace Gamut.Processes.Linux;

/// <summary>
/// One epoll instance and one thread that waits on it, for every pipe end and pidfd the spawner owns: the
/// way .NET's socket engine serves thousands of sockets, here for thousands of children without blocking a
/// thread per stream.
/// </summary>
/// <remarks>
/// Descriptors are registered once, edge-triggered, for both directions. The epoll data word carries a slot
/// index and a generation, so an event still queued for a descriptor that was closed (and whose slot was
/// reused) is recognised and dropped.
/// </remarks>
internal sealed unsafe class Reactor
{
    private const int BatchSize = 256;

    private static readonly Lazy<Reactor> s_instance = new(() => new Reactor(), LazyThreadSafetyMode.ExecutionAndPublication);

    // x86-64 packs struct epoll_event (12 bytes, data at offset 4); other 64-bit ABIs align it (16, at 8).
    private static readonly int s_eventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int s_dataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    private readonly int _epoll;
    private readonly SlotTable<AsyncFd> _slots = new();

    private Reactor()
    {
        _epoll = Libc.epoll_create1(Libc.O_CLOEXEC);
        if (_epoll < 0)
        {
            throw new IOException($"epoll_create1 failed ({Libc.Describe(Libc.Errno)})");
        }

        var thread = new Thread(Run) { IsBackground = true, Name = "Gamut process reactor" };
        thread.UnsafeStart();
    }

    /// <summary>
    /// Raised (on the reactor thread) when a descriptor's event handler threw or <c>epoll_wait</c> failed: a bug
    /// or a broken system, never a child's doing. The reactor goes on serving the other descriptors either way.
    /// </summary>
    public static event Action<Exception>? Faulted;

    /// <summary>The process-wide reactor, started on first use.</summary>
    public static Reactor Instance => s_instance.Value;

    /// <summary>Adds <paramref name="fd"/> to the epoll set, edge-triggered for reading and writing.</summary>
    public void Register(AsyncFd fd, int rawFd)
    {
        var token = _slots.Add(fd);
        fd.Token = token;
        var evt = stackalloc byte[16];
        *(uint*)evt = Libc.EPOLLIN | Libc.EPOLLOUT | Libc.EPOLLRDHUP | Libc.EPOLLET;
        *(ulong*)(evt + s_dataOffset) = token;
        if (Libc.epoll_ctl(_epoll, Libc.EPOLL_CTL_ADD, rawFd, evt) != 0)
        {
            var errno = Libc.Errno;
            _slots.Remove(token);
            throw new IOException($"epoll_ctl(ADD) failed ({Libc.Describe(errno)})");
        }
    }

    /// <summary>
    /// Forgets a descriptor that is about to be closed. No EPOLL_CTL_DEL: closing the last descriptor of an
    /// open file removes it from the epoll set, and an event already queued for it is dropped by the
    /// generation check once the slot is reused.
    /// </summary>
    public void Unregister(AsyncFd fd) => _slots.Remove(fd.Token);

    /// <summary>
    /// How long to wait before calling <c>epoll_wait</c> again after it failed with <paramref name="errno"/> for
    /// the <paramref name="failures"/>-th time in a row: at once for EINTR (a signal), else backing off to a
    /// second, so an error that repeats (EBADF, EINVAL) is reported and retried, never spun on.
    /// </summary>
    internal static int RetryDelayMs(int errno, int failures) =>
        errno == Libc.EINTR ? 0 : Math.Min(1000, 1 << Math.Min(failures, 10));

    /// <summary>Runs one handler; what it throws is reported through <see cref="Faulted"/>, not lost and not fatal.</summary>
    internal static void Deliver<TState>(Action<TState> handler, TState state)
    {
        try
        {
            handler(state);
        }
        catch (Exception error)
        {
            // The reactor serves every child of the process; one faulty completion must not end it, nor vanish.
            Report(new InvalidOperationException($"A process reactor event handler failed: {error.Message}", error));
        }
    }

    private static void Report(Exception error)
    {
        System.Diagnostics.Trace.TraceError(error.ToString());
        try
        {
            Faulted?.Invoke(error);
        }
        catch (Exception)
        {
            // A listener's own failure has nowhere better to go.
        }
    }

    private void Run()
    {
        var events = (byte*)NativeMemory.Alloc((nuint)(BatchSize * s_eventSize));
        var failures = 0;
        while (true)
        {
            var n = Libc.epoll_wait(_epoll, events, BatchSize, -1);
            if (n < 0)
            {
                // EINTR: a signal (the runtime's SIGCHLD handling, a debugger) interrupted the wait.
                var errno = Libc.Errno;
                if (errno != Libc.EINTR)
                {
                    failures++;
                    Report(new IOException($"epoll_wait failed ({Libc.Describe(errno)}); retrying"));
                }

                if (RetryDelayMs(errno, failures) is var delay and > 0)
                {
                    Thread.Sleep(delay);
                }

                continue;
            }

            failures = 0;
            for (var i = 0; i < n; i++)
            {
                var e = events + (i * s_eventSize);
                var flags = *(uint*)e;
                if (_slots.TryGet(*(ulong*)(e + s_dataOffset), out var fd))
                {
                    Deliver(static x => x.Fd.OnEvents(x.Flags), (Fd: fd, Flags: flags));
                }
            }
        }
    }
}
