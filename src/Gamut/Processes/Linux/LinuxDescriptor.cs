using Gamut.Processes.Internal;

namespace Gamut.Processes.Linux;

/// <summary>A raw descriptor handed to a child; closed on disposal when owned.</summary>
internal sealed class LinuxDescriptor(int fd, bool owned) : ChildDescriptor
{
    private int _fd = fd;

    /// <summary>The descriptor, or -1 once closed.</summary>
    public int Fd => Volatile.Read(ref _fd);

    public override void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (owned && fd >= 0)
        {
            Libc.close(fd);
        }
    }
}
