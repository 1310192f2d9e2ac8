using System.Runtime.InteropServices;

namespace Gamut.Ipc.Native;

/// <summary>The few Linux system calls the cross-process primitives and the process pool need.</summary>
internal static unsafe partial class LinuxNative
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int EAGAIN = 11;
    public const int EINTR = 4;
    public const int ETIMEDOUT = 110;
    public const int ESRCH = 3;
    public const int EPERM = 1;
    public const int ENOSYS = 38;

    private const int FutexWait = 0;
    private const int FutexWake = 1;
    private const int ClockMonotonic = 1;

    private static readonly nint SysFutex = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 202,
        Architecture.Arm64 => 98,
        _ => throw new PlatformNotSupportedException("Gamut.Ipc supports Linux on x64 and arm64"),
    };

    // futex_waitv has the same number on every Linux architecture (it came after the syscall tables were unified).
    private const nint SysFutexWaitv = 449;

    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;

        public static Timespec FromTimeSpan(TimeSpan t)
        {
            var ticks = Math.Max(0, t.Ticks);
            return new Timespec { Seconds = ticks / TimeSpan.TicksPerSecond, Nanoseconds = (ticks % TimeSpan.TicksPerSecond) * 100 };
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct FutexWaitv
    {
        public ulong Value;
        public ulong Address;
        public uint Flags;
        public uint Reserved;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial nint Syscall6(nint number, nint a1, nint a2, nint a3, nint a4, nint a5, nint a6);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "getppid")]
    public static partial int GetParentPid();

    [LibraryImport("libc", EntryPoint = "_exit")]
    public static partial void ExitNow(int status);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEffectiveUserId();

    [LibraryImport("libc", EntryPoint = "clock_gettime", SetLastError = true)]
    private static partial int ClockGetTime(int clock, Timespec* ts);

    /// <summary>
    /// Sleeps while <c>*address == expected</c>, at most <paramref name="timeout"/> (infinite when null). Returns 0
    /// when woken, or the errno (EAGAIN: the value had already changed; ETIMEDOUT; EINTR). Works across processes
    /// on shared mappings (no FUTEX_PRIVATE_FLAG).
    /// </summary>
    public static int FutexWaitOn(int* address, int expected, TimeSpan? timeout)
    {
        Timespec ts = default;
        Timespec* pts = null;
        if (timeout is { } t)
        {
            ts = Timespec.FromTimeSpan(t);
            pts = &ts;
        }

        var r = Syscall6(SysFutex, (nint)address, FutexWait, expected, (nint)pts, 0, 0);
        return r == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>Wakes up to <paramref name="count"/> sleepers on <paramref name="address"/>.</summary>
    public static void FutexWakeOn(int* address, int count) =>
        Syscall6(SysFutex, (nint)address, FutexWake, count, 0, 0, 0);

    /// <summary>
    /// Sleeps until one of <paramref name="waiters"/> is woken or no longer holds its expected value, or the
    /// absolute CLOCK_MONOTONIC <paramref name="deadline"/> passes. Returns the woken index, or -errno.
    /// </summary>
    public static int FutexWaitMany(FutexWaitv* waiters, int count, Timespec? deadline)
    {
        Timespec ts = default;
        Timespec* pts = null;
        if (deadline is { } d)
        {
            ts = d;
            pts = &ts;
        }

        var r = Syscall6(SysFutexWaitv, (nint)waiters, count, 0, (nint)pts, ClockMonotonic, 0);
        return r >= 0 ? (int)r : -Marshal.GetLastPInvokeError();
    }

    /// <summary>Now, on CLOCK_MONOTONIC (the clock futex_waitv deadlines use).</summary>
    public static Timespec MonotonicNow()
    {
        Timespec ts;
        ClockGetTime(ClockMonotonic, &ts);
        return ts;
    }

    /// <summary>Sends <paramref name="signal"/>; false when the process does not exist (ESRCH).</summary>
    public static bool SendSignal(int pid, int signal)
    {
        if (Kill(pid, signal) == 0)
        {
            return true;
        }

        return Marshal.GetLastPInvokeError() != ESRCH;
    }
}
