using System.Runtime.InteropServices;

namespace Gamut.Cli.Run.Output;

/// <summary>
/// Writes to a file descriptor with plain write(2): no position of its own (a FileStream over fd 1 would write
/// at offset 0 of a redirected file and ignore <c>&gt;&gt;</c>), and EPIPE raised as <see cref="IOException"/>
/// (Console's streams swallow it, and a closed stdout must end the run).
/// </summary>
internal sealed partial class DescriptorStream(int fd) : Stream
{
    private const int EINTR = 4;
    private const int EAGAIN = 11;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override unsafe void Write(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            var offset = 0;
            while (offset < buffer.Length)
            {
                var n = SysWrite(fd, p + offset, (nint)(buffer.Length - offset));
                if (n >= 0)
                {
                    offset += (int)n;
                    continue;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR)
                {
                    continue;
                }

                if (errno == EAGAIN)
                {
                    // A non-blocking descriptor someone else set up: wait a moment for room.
                    Thread.Sleep(1);
                    continue;
                }

                throw new IOException($"write to descriptor {fd} failed (errno {errno})", errno);
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint SysWrite(int fd, byte* buffer, nint count);
}
