using System.ComponentModel;
using System.Runtime.InteropServices;
using Gamut.Processes.Internal;

namespace Gamut.Loop;

/// <summary>
/// The Linux poller: the loop thread itself waits in <c>epoll_wait</c>, so socket readiness, timers and posted
/// work all end the same wait, and a ready socket is read on the loop thread with no other thread involved.
/// Another thread wakes the loop by writing to an <c>eventfd</c>.
/// </summary>
internal sealed unsafe class EpollPoller : IPoller
{
    private const int MaxEvents = 256;
    private const ulong WakeId = ulong.MaxValue;

    private readonly int _epoll;
    private readonly int _wakeFd;
    private readonly byte* _events;
    private readonly SlotTable<IIoHandler> _handlers = new();
    private bool _disposed;

    public EpollPoller()
    {
        _epoll = Libc.epoll_create1(Libc.EPOLL_CLOEXEC);
        if (_epoll < 0)
        {
            throw new Win32Exception(Libc.Errno, "epoll_create1 failed");
        }

        _wakeFd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (_wakeFd < 0 || Libc.EpollControl(_epoll, Libc.EPOLL_CTL_ADD, _wakeFd, Libc.EPOLLIN, WakeId) < 0)
        {
            var errno = Libc.Errno;
            var what = _wakeFd < 0 ? "eventfd" : "epoll_ctl(ADD, eventfd)";
            if (_wakeFd >= 0)
            {
                Libc.close(_wakeFd); // made, but not watched: ours to close
            }

            Libc.close(_epoll);
            throw new Win32Exception(errno, $"{what} failed");
        }

        _events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * Libc.EpollEventSize));
    }

    public static bool IsSupported => OperatingSystem.IsLinux();

    public bool SupportsDescriptors => true;

    public void Poll(int timeoutMs)
    {
        var n = Libc.epoll_wait(_epoll, _events, MaxEvents, timeoutMs);
        if (n < 0)
        {
            var errno = Libc.Errno;
            if (errno == Libc.EINTR)
            {
                return;
            }

            throw new Win32Exception(errno, "epoll_wait failed");
        }

        var size = Libc.EpollEventSize;
        var offset = Libc.EpollDataOffset;
        for (var i = 0; i < n; i++)
        {
            var entry = _events + (i * size);
            var id = *(ulong*)(entry + offset);
            if (id == WakeId)
            {
                ulong value;
                Libc.read(_wakeFd, (byte*)&value, sizeof(ulong));
                continue;
            }

            // A handler removed by an earlier handler of this batch is gone, even if a new one took its slot: the
            // generation tells its stale event apart (else a connecting socket could be told it connected).
            if (_handlers.TryGet(id, out var handler))
            {
                handler.OnReady(*(uint*)entry);
            }
        }
    }

    public void Wake()
    {
        ulong one = 1;
        Libc.write(_wakeFd, (byte*)&one, sizeof(ulong));
    }

    public ulong Add(int fd, uint events, IIoHandler handler)
    {
        var id = _handlers.Add(handler);
        if (Libc.EpollControl(_epoll, Libc.EPOLL_CTL_ADD, fd, events, id) < 0)
        {
            var errno = Libc.Errno;
            _handlers.Remove(id);
            throw new Win32Exception(errno, $"epoll_ctl(ADD, {fd}) failed");
        }

        return id;
    }

    public void Modify(ulong id, int fd, uint events)
    {
        if (Libc.EpollControl(_epoll, Libc.EPOLL_CTL_MOD, fd, events, id) < 0)
        {
            throw new Win32Exception(Libc.Errno, $"epoll_ctl(MOD, {fd}) failed");
        }
    }

    public void Remove(ulong id, int fd)
    {
        // Best effort: a descriptor already closed has left the epoll set by itself.
        Libc.EpollControl(_epoll, Libc.EPOLL_CTL_DEL, fd, 0, 0);
        _handlers.Remove(id);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Libc.close(_wakeFd);
        Libc.close(_epoll);
        NativeMemory.Free(_events);
    }
}
