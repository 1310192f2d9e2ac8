using System.Runtime.InteropServices;

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
    private readonly object _gate = new();
    private readonly Stack<int> _freeSlots = new();
    private AsyncFd?[] _slots = new AsyncFd?[64];
    private int _nextSlot;
    private uint _generation;

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

    /// <summary>The process-wide reactor, started on first use.</summary>
    public static Reactor Instance => s_instance.Value;

    /// <summary>Adds <paramref name="fd"/> to the epoll set, edge-triggered for reading and writing.</summary>
    public void Register(AsyncFd fd, int rawFd)
    {
        int slot;
        uint generation;
        lock (_gate)
        {
            if (!_freeSlots.TryPop(out slot))
            {
                slot = _nextSlot++;
                if (slot == _slots.Length)
                {
                    var bigger = new AsyncFd?[_slots.Length * 2];
                    Array.Copy(_slots, bigger, _slots.Length);
                    Volatile.Write(ref _slots, bigger);
                }
            }

            generation = ++_generation;
            fd.Slot = slot;
            fd.Generation = generation;
            _slots[slot] = fd;
        }

        var evt = stackalloc byte[16];
        *(uint*)evt = Libc.EPOLLIN | Libc.EPOLLOUT | Libc.EPOLLRDHUP | Libc.EPOLLET;
        *(ulong*)(evt + s_dataOffset) = (uint)slot | ((ulong)generation << 32);
        if (Libc.epoll_ctl(_epoll, Libc.EPOLL_CTL_ADD, rawFd, evt) != 0)
        {
            var errno = Libc.Errno;
            Release(slot);
            throw new IOException($"epoll_ctl(ADD) failed ({Libc.Describe(errno)})");
        }
    }

    /// <summary>
    /// Forgets a descriptor that is about to be closed. No EPOLL_CTL_DEL: closing the last descriptor of an
    /// open file removes it from the epoll set, and an event already queued for it is dropped by the
    /// generation check once the slot is reused.
    /// </summary>
    public void Unregister(AsyncFd fd) => Release(fd.Slot);

    private void Release(int slot)
    {
        lock (_gate)
        {
            _slots[slot] = null;
            _freeSlots.Push(slot);
        }
    }

    private void Run()
    {
        var events = (byte*)NativeMemory.Alloc((nuint)(BatchSize * s_eventSize));
        while (true)
        {
            var n = Libc.epoll_wait(_epoll, events, BatchSize, -1);
            if (n < 0)
            {
                // EINTR: a signal (the runtime's SIGCHLD handling, a debugger) interrupted the wait.
                continue;
            }

            var slots = Volatile.Read(ref _slots);
            for (var i = 0; i < n; i++)
            {
                var e = events + (i * s_eventSize);
                var flags = *(uint*)e;
                var data = *(ulong*)(e + s_dataOffset);
                var slot = (int)(uint)data;
                var generation = (uint)(data >> 32);
                if (slot < slots.Length && slots[slot] is { } fd && fd.Generation == generation)
                {
                    try
                    {
                        fd.OnEvents(flags);
                    }
                    catch (Exception error)
                    {
                        // The reactor serves every child of the process; one faulty completion must not end it.
                        System.Diagnostics.Debug.Fail($"Reactor event handler failed: {error}");
                    }
                }
            }
        }
    }
}
