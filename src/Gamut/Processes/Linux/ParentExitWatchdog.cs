using System.Runtime.InteropServices;
using Gamut.Processes.Internal;
using Microsoft.Win32.SafeHandles;

namespace Gamut.Processes.Linux;

/// <summary>
/// Stops the process groups of this process's children when this process dies, however it dies (even
/// SIGKILL), for <see cref="Command.KillOnParentExit"/>.
/// </summary>
/// <remarks>
/// <para>posix_spawn runs none of our code between fork and exec, so PR_SET_PDEATHSIG (which is also tied
/// to the spawning thread, not the process) is out. Instead one small <c>/bin/sh</c> process, started on
/// first use, holds the read end of a pipe whose only write end is in this process: when this process dies
/// the kernel closes it, the watchdog's <c>read</c> returns at end of file, and it sends SIGTERM, then
/// after the grace period SIGKILL, to every recorded group still alive.</para>
/// <para>The record is a table in an unlinked shared-memory file (inherited by the watchdog as fd 3), one
/// 8-byte line per live group written with a single aligned store, so recording a child costs no system
/// call and a torn entry is impossible. Lines are "  12345\n"; a free slot is blank. If the watchdog dies
/// it is started again on the next spawn and reads the same table.</para>
/// </remarks>
internal static unsafe class ParentExitWatchdog
{
    private const int SlotSize = 8;
    private const int InitialSlots = 512;
    private const int MaxSlots = 1 << 20;
    private const long EmptySlot = 0x0A20202020202020; // seven spaces then '\n', little-endian

    // $1: grace in tenths of a second. Group ids are read with one `cat`, so a large table costs little.
    private const string Script = """
        while read -r _; do :; done
        groups=$(cat /proc/self/fd/3 2>/dev/null)
        [ -n "$groups" ] || exit 0
        for g in $groups; do kill -TERM -$g 2>/dev/null; kill -CONT -$g 2>/dev/null; done
        i=0
        while [ $i -lt $1 ]; do
          alive=
          for g in $groups; do kill -0 -$g 2>/dev/null && alive="$alive $g"; done
          groups=$alive
          [ -n "$groups" ] || exit 0
          sleep 0.1
          i=$((i+1))
        done
        for g in $groups; do kill -KILL -$g 2>/dev/null; done
        """;

    private static readonly object s_gate = new();
    private static readonly Stack<int> s_free = new();
    private static int s_tableFd = -1;
    private static byte* s_table;
    private static int s_capacity;
    private static int s_highWater;
    private static int s_pipeWrite = -1;
    private static LinuxChild? s_watchdog;
    private static bool s_unavailable;

    /// <summary>The watchdog's process id, or 0 when none runs (for tests and diagnostics).</summary>
    public static int ProcessId => Volatile.Read(ref s_watchdog)?.ProcessId ?? 0;

    /// <summary>Starts the watchdog if it does not run, so it exists before the child it will guard.</summary>
    public static void Prepare()
    {
        lock (s_gate)
        {
            EnsureRunning();
        }
    }

    /// <summary>Records a process group to stop if this process dies.</summary>
    /// <returns>The record's slot, or -1 when the watchdog is unavailable.</returns>
    public static int Register(int processGroup)
    {
        lock (s_gate)
        {
            if (!EnsureRunning())
            {
                return -1;
            }

            if (!s_free.TryPop(out var slot))
            {
                if (s_highWater == s_capacity && !Grow())
                {
                    return -1;
                }

                slot = s_highWater++;
            }

            Volatile.Write(ref *(long*)(s_table + ((long)slot * SlotSize)), Encode(processGroup));
            return slot;
        }
    }

    /// <summary>Forgets a group: it has ended.</summary>
    public static void Unregister(int slot)
    {
        lock (s_gate)
        {
            Volatile.Write(ref *(long*)(s_table + ((long)slot * SlotSize)), EmptySlot);
            s_free.Push(slot);
        }
    }

    private static long Encode(int group)
    {
        long value = EmptySlot;
        var digits = (byte*)&value;
        for (var i = 6; i >= 0 && group > 0; i--)
        {
            digits[i] = (byte)('0' + (group % 10));
            group /= 10;
        }

        return value;
    }

    private static bool EnsureRunning()
    {
        if (s_unavailable)
        {
            return false;
        }

        if (s_watchdog is { Exited.IsCompleted: false })
        {
            return true;
        }

        try
        {
            if (s_tableFd < 0)
            {
                CreateTable();
            }

            Start();
            return true;
        }
        catch (Exception e) when (e is IOException or CommandException or UnauthorizedAccessException)
        {
            // Without /bin/sh or a writable temp directory the promise cannot be kept; children still run.
            s_unavailable = true;
            return false;
        }
    }

    private static void CreateTable()
    {
        var directory = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        var name = Path.Combine(directory, $".gamut-watchdog-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var p = NativeStrings.Utf8(name);
        try
        {
            var fd = Libc.open(p, Libc.O_RDWR | Libc.O_CREAT | Libc.O_EXCL | Libc.O_CLOEXEC, 384 /* 0600 */);
            if (fd < 0)
            {
                throw new IOException($"Cannot create the watchdog table '{name}' ({Libc.Describe(Libc.Errno)})");
            }

            Libc.unlink(p);
            var map = Libc.mmap(null, (nuint)MaxSlots * SlotSize, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fd, 0);
            if (map == (void*)-1)
            {
                var errno = Libc.Errno;
                Libc.close(fd);
                throw new IOException($"Cannot map the watchdog table ({Libc.Describe(errno)})");
            }

            s_tableFd = fd;
            s_table = (byte*)map;
            if (!Grow())
            {
                throw new IOException("Cannot size the watchdog table");
            }
        }
        finally
        {
            NativeMemory.Free(p);
        }
    }

    private static bool Grow()
    {
        var capacity = s_capacity == 0 ? InitialSlots : s_capacity * 2;
        if (capacity > MaxSlots || Libc.ftruncate(s_tableFd, (long)capacity * SlotSize) != 0)
        {
            return false;
        }

        for (var i = s_capacity; i < capacity; i++)
        {
            *(long*)(s_table + ((long)i * SlotSize)) = EmptySlot;
        }

        s_capacity = capacity;
        return true;
    }

    private static void Start()
    {
        if (s_watchdog is { } old)
        {
            old.Release();
            s_watchdog = null;
        }

        if (s_pipeWrite >= 0)
        {
            Libc.close(s_pipeWrite);
            s_pipeWrite = -1;
        }

        var fds = stackalloc int[2];
        if (Libc.pipe2(fds, Libc.O_CLOEXEC) != 0)
        {
            throw new IOException($"Cannot create the watchdog pipe ({Libc.Describe(Libc.Errno)})");
        }

        using var table = new SafeFileHandle(s_tableFd, ownsHandle: false);
        var grace = (int)Math.Ceiling(Command.DefaultGracePeriod.TotalSeconds * 10);
        var command = Command.Create("/bin/sh", "-c", Script, "gamut-watchdog", grace.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithKillOnParentExit(false);
        var request = new SpawnRequest
        {
            Command = command,
            Path = "/bin/sh",
            ArgumentZero = "gamut-watchdog",
            Arguments = command.Arguments,
            Environment = [new("PATH", "/usr/bin:/bin"), new("LC_ALL", "C")],
            WorkingDirectory = "/",
            Stdin = new ChildStdio(StdioKind.Descriptor, Descriptor: new LinuxDescriptor(fds[0], owned: false)),
            Stdout = ChildStdio.Null,
            Stderr = ChildStdio.Null,
            InheritedHandles = [table],
            KillOnParentExit = false,
        };

        try
        {
            s_watchdog = LinuxSpawner.Spawn(request);
        }
        catch
        {
            Libc.close(fds[1]);
            throw;
        }
        finally
        {
            Libc.close(fds[0]);
        }

        s_pipeWrite = fds[1];
        var watchdog = s_watchdog;
        _ = watchdog.Exited.ContinueWith(
            static (_, state) => ((LinuxChild)state!).Release(),
            watchdog,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }
}
