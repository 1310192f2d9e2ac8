using System.Runtime.InteropServices;

namespace Gamut.Processes.Linux;

/// <summary>
/// The glibc and Linux calls the spawner needs. Constants are Linux's (x86-64 and arm64 agree on all of them).
/// Functions return -1 and set errno unless noted; posix_spawn* return the error number itself.
/// </summary>
internal static unsafe partial class Libc
{
    private const string Lib = "libc.so.6";

    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, E2BIG = 7, ENOEXEC = 8, EBADF = 9, ECHILD = 10,
        EAGAIN = 11, ENOMEM = 12, EACCES = 13, ENOTDIR = 20, EISDIR = 21, EINVAL = 22, ENFILE = 23, EMFILE = 24,
        ETXTBSY = 26, EPIPE = 32, ENAMETOOLONG = 36, ENOSYS = 38, ELOOP = 40;

    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_EXCL = 0x80, O_TRUNC = 0x200,
        O_APPEND = 0x400, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;

    public const int F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_DUPFD_CLOEXEC = 1030, F_SETPIPE_SZ = 1031,
        F_GETPIPE_SZ = 1032;

    public const short POSIX_SPAWN_SETPGROUP = 0x02, POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08;

    public const int P_PIDFD = 3, WNOHANG = 1, WEXITED = 4;
    public const int CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3;
    public const uint PIDFD_SIGNAL_PROCESS_GROUP = 4;

    public const uint EPOLLIN = 0x001, EPOLLOUT = 0x004, EPOLLERR = 0x008, EPOLLHUP = 0x010, EPOLLRDHUP = 0x2000,
        EPOLLET = 1u << 31;
    public const int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2;

    public const short POLLIN = 0x001, POLLOUT = 0x004;
    public const int X_OK = 1;
    public const int PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1;

    /// <summary>Room for glibc's posix_spawnattr_t (336 bytes on 64-bit), with margin.</summary>
    public const int SpawnAttrSize = 512;

    /// <summary>Room for glibc's posix_spawn_file_actions_t (80 bytes on 64-bit), with margin.</summary>
    public const int FileActionsSize = 256;

    /// <summary>Room for glibc's sigset_t (128 bytes).</summary>
    public const int SigSetSize = 128;

    /// <summary>siginfo_t is 128 bytes; si_pid at 16, si_status at 24 on 64-bit Linux.</summary>
    public const int SigInfoSize = 128;

    [LibraryImport(Lib)]
    public static partial int posix_spawn(int* pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_init(void* attr);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_setflags(void* attr, short flags);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_setpgroup(void* attr, int pgroup);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_setsigmask(void* attr, void* sigset);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_setsigdefault(void* attr, void* sigset);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_init(void* actions);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_destroy(void* actions);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_adddup2(void* actions, int fd, int newFd);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_addchdir_np(void* actions, byte* path);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_addclosefrom_np(void* actions, int from);

    [LibraryImport(Lib)]
    public static partial int sigemptyset(void* set);

    [LibraryImport(Lib)]
    public static partial int sigfillset(void* set);

    [LibraryImport(Lib)]
    public static partial int sigdelset(void* set, int signal);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int pipe2(int* fds, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int open(byte* path, int flags, int mode);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint read(int fd, byte* buffer, nint count);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint write(int fd, byte* buffer, nint count);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int fcntl(int fd, int command, int argument);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int poll(short* fds, nuint count, int timeoutMs);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int access(byte* path, int mode);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int unlink(byte* path);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int ftruncate(int fd, long length);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial void* mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int kill(int pid, int signal);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int waitid(int idType, int id, void* info, int options);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int epoll_create1(int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int epoll_ctl(int epfd, int op, int fd, void* evt);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int epoll_wait(int epfd, void* events, int maxEvents, int timeoutMs);

    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    private static partial long syscall2(long number, long a, long b);

    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    private static partial long syscall4(long number, long a, long b, long c, long d);

    // Since Linux 5.1 new system calls carry the same number on every architecture.
    private const long SysPidfdSendSignal = 424, SysPidfdOpen = 434;

    public static int pidfd_open(int pid) => (int)syscall2(SysPidfdOpen, pid, 0);

    public static int pidfd_send_signal(int pidfd, int signal, uint flags) =>
        (int)syscall4(SysPidfdSendSignal, pidfd, signal, 0, flags);

    public static int Errno => Marshal.GetLastPInvokeError();

    /// <summary>Whether this is Linux with a glibc new enough for the native spawner (2.34: closefrom file action).</summary>
    public static readonly bool IsSupported = Probe();

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad(Lib, out var handle))
        {
            return false;
        }

        return NativeLibrary.TryGetExport(handle, "posix_spawn_file_actions_addclosefrom_np", out _)
            && NativeLibrary.TryGetExport(handle, "posix_spawn_file_actions_addchdir_np", out _)
            && ProbePidfd();
    }

    private static bool ProbePidfd()
    {
        // pidfd_open (5.3) and waitid(P_PIDFD) (5.4) are required; probe with our own pid.
        var fd = pidfd_open(Environment.ProcessId);
        if (fd < 0)
        {
            return false;
        }

        close(fd);
        return true;
    }

    /// <summary>The symbolic name of an errno value, for messages.</summary>
    public static string ErrnoName(int errno) => errno switch
    {
        EPERM => "EPERM", ENOENT => "ENOENT", ESRCH => "ESRCH", EINTR => "EINTR", E2BIG => "E2BIG",
        ENOEXEC => "ENOEXEC", EBADF => "EBADF", ECHILD => "ECHILD", EAGAIN => "EAGAIN", ENOMEM => "ENOMEM",
        EACCES => "EACCES", ENOTDIR => "ENOTDIR", EISDIR => "EISDIR", EINVAL => "EINVAL", ENFILE => "ENFILE",
        EMFILE => "EMFILE", ETXTBSY => "ETXTBSY", EPIPE => "EPIPE", ENAMETOOLONG => "ENAMETOOLONG",
        ENOSYS => "ENOSYS", ELOOP => "ELOOP", _ => $"errno {errno}",
    };

    /// <summary>"EACCES: Permission denied".</summary>
    public static string Describe(int errno) => $"{ErrnoName(errno)}: {Marshal.GetPInvokeErrorMessage(errno)}";
}
