using System.Runtime.InteropServices;
using Gamut.Processes.Linux;

namespace Gamut.Cli.Measure.Native;

/// <summary>
/// Blocking reads and writes of whole buffers on raw descriptors (pipes, socket pairs), through Gamut's own libc
/// bindings: the measured path is the system call and nothing of .NET's stream machinery.
/// </summary>
internal static unsafe partial class Fd
{
    private const int AfUnix = 1, SockStream = 1, SockCloexec = 0x80000;

    [LibraryImport("libc.so.6", EntryPoint = "socketpair", SetLastError = true)]
    private static partial int SocketPair(int domain, int type, int protocol, int* fds);

    /// <summary>A pipe: (read end, write end), close-on-exec.</summary>
    public static (int Read, int Write) Pipe()
    {
        var fds = stackalloc int[2];
        Check(Libc.pipe2(fds, Libc.O_CLOEXEC), "pipe2");
        return (fds[0], fds[1]);
    }

    /// <summary>A connected pair of Unix stream sockets, close-on-exec.</summary>
    public static (int A, int B) UnixPair()
    {
        var fds = stackalloc int[2];
        Check(SocketPair(AfUnix, SockStream | SockCloexec, 0, fds), "socketpair");
        return (fds[0], fds[1]);
    }

    /// <summary>Closes a descriptor (ignoring -1).</summary>
    public static void Close(int fd)
    {
        if (fd >= 0)
        {
            Libc.close(fd);
        }
    }

    /// <summary>Writes all of <paramref name="data"/>.</summary>
    public static void WriteAll(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            var done = 0;
            while (done < data.Length)
            {
                var n = Libc.write(fd, p + done, data.Length - done);
                if (n < 0)
                {
                    if (Libc.Errno == Libc.EINTR)
                    {
                        continue;
                    }

                    throw new IOException($"write: {Libc.Describe(Libc.Errno)}");
                }

                done += (int)n;
            }
        }
    }

    /// <summary>Reads exactly <paramref name="buffer"/>'s length; false at end of file before the first byte.</summary>
    public static bool ReadExactly(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            var done = 0;
            while (done < buffer.Length)
            {
                var n = Libc.read(fd, p + done, buffer.Length - done);
                if (n < 0)
                {
                    if (Libc.Errno == Libc.EINTR)
                    {
                        continue;
                    }

                    throw new IOException($"read: {Libc.Describe(Libc.Errno)}");
                }

                if (n == 0)
                {
                    return done == 0 ? false : throw new EndOfStreamException($"the peer closed after {done} of {buffer.Length} bytes");
                }

                done += (int)n;
            }
        }

        return true;
    }

    private static void Check(int result, string call)
    {
        if (result != 0)
        {
            throw new IOException($"{call}: {Libc.Describe(Libc.Errno)}");
        }
    }
}
