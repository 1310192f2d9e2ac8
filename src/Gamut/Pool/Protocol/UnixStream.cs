using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Gamut.Pool.Protocol;

/// <summary>
/// A Unix-domain stream socket on an abstract name, used with blocking system calls straight from libc. The pool's
/// channel needs nothing more, and every worker start would otherwise pay for System.Net.Sockets' setup (milliseconds
/// of CPU on a cold runtime). Errors surface as <see cref="IOException"/> carrying the errno.
/// </summary>
internal sealed unsafe partial class UnixStream : IDisposable
{
    private const int AfUnix = 1;
    private const int SockStream = 1;
    private const int SockCloexec = 0x80000;
    private const int SolSocket = 1;
    private const int SoPeercred = 17;
    private const int MsgNosignal = 0x4000;
    private const int ShutRdwr = 2;
    private const short Pollin = 1;
    private const int Eintr = 4;
    private const int MaxName = 107;

    private readonly SafeFileHandle _fd;

    private UnixStream(int fd) => _fd = new SafeFileHandle(fd, ownsHandle: true);

    /// <summary>A socket listening on the abstract name <paramref name="name"/> (without its leading NUL).</summary>
    public static UnixStream Listen(string name, int backlog)
    {
        var s = Create();
        Span<byte> address = stackalloc byte[110];
        var length = Address(name, address);
        fixed (byte* a = address)
        {
            Check(Bind(s.Fd, a, length), "bind");
        }

        Check(ListenNative(s.Fd, backlog), "listen");
        return s;
    }

    /// <summary>A socket connected to the abstract name <paramref name="name"/> (without its leading NUL).</summary>
    public static UnixStream Connect(string name)
    {
        var s = Create();
        Span<byte> address = stackalloc byte[110];
        var length = Address(name, address);
        fixed (byte* a = address)
        {
            int rc;
            while ((rc = ConnectNative(s.Fd, a, length)) != 0 && Marshal.GetLastPInvokeError() == Eintr)
            {
            }

            Check(rc, "connect");
        }

        return s;
    }

    /// <summary>Waits for the next connection; <see cref="IOException"/> once the socket is shut down.</summary>
    public UnixStream Accept()
    {
        using var use = Use();
        while (true)
        {
            var fd = Accept4(use.Fd, null, null, SockCloexec);
            if (fd >= 0)
            {
                return new UnixStream(fd);
            }

            if (Marshal.GetLastPInvokeError() != Eintr)
            {
                Check(-1, "accept");
            }
        }
    }

    /// <summary>Reads what is there (at least a byte, waiting for it); 0 at end of stream.</summary>
    public int Read(Span<byte> buffer)
    {
        using var use = Use();
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = Recv(use.Fd, p, (nuint)buffer.Length, 0);
                if (n >= 0)
                {
                    return (int)n;
                }

                if (Marshal.GetLastPInvokeError() != Eintr)
                {
                    Check(-1, "recv");
                }
            }
        }
    }

    /// <summary>Writes all of <paramref name="data"/> (waiting for room as needed).</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        using var use = Use();
        fixed (byte* p = data)
        {
            var done = 0;
            while (done < data.Length)
            {
                var n = Send(use.Fd, p + done, (nuint)(data.Length - done), MsgNosignal);
                if (n >= 0)
                {
                    done += (int)n;
                }
                else if (Marshal.GetLastPInvokeError() != Eintr)
                {
                    Check(-1, "send");
                }
            }
        }
    }

    /// <summary>Whether a read would not wait (data, or the end of the stream) within <paramref name="timeout"/>.</summary>
    public bool WaitReadable(TimeSpan timeout)
    {
        using var use = Use();
        var pfd = new PollFd { Fd = use.Fd, Events = Pollin };
        var ms = timeout == Timeout.InfiniteTimeSpan ? -1 : (int)Math.Clamp(Math.Ceiling(timeout.TotalMilliseconds), 0, int.MaxValue);
        int rc;
        while ((rc = Poll(&pfd, 1, ms)) < 0 && Marshal.GetLastPInvokeError() == Eintr)
        {
        }

        // An error or hang-up counts as readable: the read then reports it.
        return rc != 0;
    }

    /// <summary>The kernel's word on who is at the other end (SO_PEERCRED): pid and uid.</summary>
    public (int Pid, uint Uid) Peer()
    {
        using var use = Use();
        Span<int> cred = stackalloc int[3];
        var length = 12;
        fixed (int* c = cred)
        {
            return GetSockOpt(use.Fd, SolSocket, SoPeercred, c, &length) == 0 && length >= 8 ? (cred[0], (uint)cred[1]) : (0, uint.MaxValue);
        }
    }

    /// <summary>Ends both directions: a thread blocked on this socket (accept, recv) returns.</summary>
    public void Shutdown()
    {
        try
        {
            using var use = Use();
            _ = ShutdownNative(use.Fd, ShutRdwr);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Shuts the socket down and closes it (once no call on another thread still uses it).</summary>
    public void Dispose()
    {
        Shutdown();
        _fd.Dispose();
    }

    // Every call holds a reference on the handle, so a close from another thread waits for it to return and the
    // descriptor number is never reused under a call still in progress.
    private Lease Use() => new(_fd);

    private readonly ref struct Lease
    {
        private readonly SafeFileHandle _handle;

        public Lease(SafeFileHandle handle)
        {
            var added = false;
            handle.DangerousAddRef(ref added);
            _handle = handle;
            Fd = (int)handle.DangerousGetHandle();
        }

        public int Fd { get; }

        public void Dispose() => _handle.DangerousRelease();
    }

    private static UnixStream Create()
    {
        var fd = SocketNative(AfUnix, SockStream | SockCloexec, 0);
        Check(fd, "socket");
        return new UnixStream(fd);
    }

    private int Fd => (int)_fd.DangerousGetHandle();

    /// <summary>struct sockaddr_un for an abstract name: the family, a NUL, then the name (no terminator).</summary>
    private static int Address(string name, Span<byte> address)
    {
        address.Clear();
        address[0] = AfUnix;
        var n = Encoding.UTF8.GetBytes(name, address[3..]);
        if (n > MaxName - 1)
        {
            throw new ArgumentException($"The socket name '{name}' is too long", nameof(name));
        }

        return 2 + 1 + n;
    }

    private static void Check(int rc, string what)
    {
        if (rc < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"{what} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int SocketNative(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    private static partial int Bind(int fd, byte* address, int length);

    [LibraryImport("libc", EntryPoint = "listen", SetLastError = true)]
    private static partial int ListenNative(int fd, int backlog);

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    private static partial int ConnectNative(int fd, byte* address, int length);

    [LibraryImport("libc", EntryPoint = "accept4", SetLastError = true)]
    private static partial int Accept4(int fd, byte* address, int* length, int flags);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static partial nint Recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static partial nint Send(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(PollFd* fds, nuint count, int timeout);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    private static partial int GetSockOpt(int fd, int level, int name, void* value, int* length);

    [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
    private static partial int ShutdownNative(int fd, int how);
}
