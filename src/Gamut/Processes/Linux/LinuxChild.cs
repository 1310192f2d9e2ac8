using Gamut.Processes.Internal;

namespace Gamut.Processes.Linux;

/// <summary>
/// A child started by <see cref="LinuxSpawner"/>, known by its pidfd. Every signal goes through the pidfd
/// (to the process, or with PIDFD_SIGNAL_PROCESS_GROUP to its group), so a pid reused after the child was
/// reaped can never be hit; exit is seen as the pidfd becoming readable, and reaped with
/// <c>waitid(P_PIDFD)</c> — this child only, never another part of the program's children.
/// </summary>
internal sealed class LinuxChild : IChildHandle
{
    private readonly AsyncFd _pidfd;
    private readonly int _watchdogSlot;
    private readonly object _groupGate = new();
    private volatile bool _exited;
    private volatile bool _groupSignalUnsupported;
    private volatile bool _groupGone;
    private int _released;

    private readonly SpawnProbe? _probe;

    public LinuxChild(int pid, AsyncFd pidfd, AsyncFd? stdin, AsyncFd? stdout, AsyncFd? stderr, int watchdogSlot, SpawnProbe? probe)
    {
        _probe = probe;
        _groupSignalUnsupported = probe?.LegacyGroupSignals ?? false;
        ProcessId = pid;
        _pidfd = pidfd;
        StandardInput = stdin;
        StandardOutput = stdout;
        StandardError = stderr;
        _watchdogSlot = watchdogSlot;

        // Reaping is a non-blocking waitid; it (and the bookkeeping that follows, up to the point where a
        // caller's code would run) happens on the reactor thread without a hop to the thread pool.
        pidfd.Readable.Inline = true;
        Exited = WatchAsync();
    }

    public int ProcessId { get; }

    public PipeEnd? StandardInput { get; }

    public PipeEnd? StandardOutput { get; }

    public PipeEnd? StandardError { get; }

    public Task<ProcessExitStatus> Exited { get; }

    public bool Signal(int signal)
    {
        if (_exited)
        {
            return false;
        }

        var rc = _pidfd.Use(fd => Libc.pidfd_send_signal(fd, signal, 0), out _);
        return rc == 0;
    }

    public bool SignalGroup(int signal)
    {
        if (!_groupSignalUnsupported)
        {
            var rc = _pidfd.Use(fd => Libc.pidfd_send_signal(fd, signal, Libc.PIDFD_SIGNAL_PROCESS_GROUP), out var errno);
            if (rc == 0)
            {
                return true;
            }

            if (errno != Libc.EINVAL)
            {
                return false; // ESRCH: nobody left in the group; EBADF: released.
            }

            // Kernels before 6.9 lack PIDFD_SIGNAL_PROCESS_GROUP.
            _groupSignalUnsupported = true;
        }

        return SignalGroupByNumber(signal);
    }

    public bool IsGroupEmpty() => !SignalGroup(0);

    /// <summary>
    /// The fallback, <c>kill(-pgid)</c>: the group's id is the child's pid, a number that stays taken while any
    /// member lives (the leader, even as a zombie, or anyone left in the group). Once the leader is reaped and the
    /// group is seen empty, the number is free for the kernel to give to another process, whose group a later
    /// TERM or KILL would hit: from then on this group is never signalled again. Reaping takes the same gate, so
    /// "reaped" and "seen empty" are judged on one consistent state.
    /// </summary>
    private bool SignalGroupByNumber(int signal)
    {
        lock (_groupGate)
        {
            if (_groupGone || Volatile.Read(ref _released) != 0)
            {
                return false;
            }

            var delivered = Libc.kill(-ProcessId, signal) == 0;
            if (!delivered && _exited && Libc.Errno == Libc.ESRCH)
            {
                _groupGone = true;
            }

            _probe?.OnGroupKill?.Invoke(ProcessId, signal, delivered);
            return delivered;
        }
    }

    public void Release()
    {
        lock (_groupGate)
        {
            if (Interlocked.Exchange(ref _released, 1) != 0)
            {
                return;
            }
        }

        _pidfd.Dispose();
        if (_watchdogSlot >= 0)
        {
            ParentExitWatchdog.Unregister(_watchdogSlot);
        }
    }

    private async Task<ProcessExitStatus> WatchAsync()
    {
        // A child that exited before its pidfd was registered is reported by the registration itself.
        await _pidfd.Readable.WaitAsync(0, CancellationToken.None).ConfigureAwait(false);
        while (true)
        {
            var sequence = _pidfd.Readable.Sequence;
            ProcessExitStatus? status;
            lock (_groupGate)
            {
                // Under the gate: a fallback group signal is sent either before the reap (the number is still
                // the leader's) or after it with _exited already true.
                status = TryReap();
                if (status is not null)
                {
                    _exited = true;
                }
            }

            if (status is not null)
            {
                return status;
            }

            await _pidfd.Readable.WaitAsync(sequence, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private unsafe ProcessExitStatus? TryReap()
    {
        var info = stackalloc byte[Libc.SigInfoSize];
        new Span<byte>(info, Libc.SigInfoSize).Clear();
        int rc, errno;
        do
        {
            var p = (nint)info;
            rc = _pidfd.Use(fd => Libc.waitid(Libc.P_PIDFD, fd, (void*)p, Libc.WEXITED | Libc.WNOHANG), out errno);
        }
        while (rc < 0 && errno == Libc.EINTR);

        if (rc < 0)
        {
            // ECHILD: something else reaped our child (a SIGCHLD handler calling waitpid(-1)); the status is lost.
            return new ProcessExitStatus(-1);
        }

        var pid = *(int*)(info + 16);
        if (pid == 0)
        {
            return null;
        }

        var code = *(int*)(info + 8);
        var status = *(int*)(info + 24);
        return code == Libc.CLD_EXITED
            ? new ProcessExitStatus(status)
            : new ProcessExitStatus(128 + status, status);
    }
}
