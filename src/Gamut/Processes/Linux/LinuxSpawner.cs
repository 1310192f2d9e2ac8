using System.Runtime.InteropServices;
using Gamut.Processes.Internal;

namespace Gamut.Processes.Linux;

/// <summary>
/// Starts children with glibc's <c>posix_spawn</c> (clone with CLONE_VFORK, then exec), which
/// <c>System.Diagnostics.Process</c> cannot be made to do: each child leads a new process group, starts
/// with an empty signal mask and every signal at its default disposition (the runtime ignores SIGPIPE, and
/// an ignored disposition survives exec), and has every descriptor but 0, 1, 2 (and the inherited handles)
/// closed before exec, however it was opened.
/// </summary>
internal static unsafe class LinuxSpawner
{
    private static readonly object s_devNullGate = new();
    private static nint s_attributes; // a posix_spawnattr_t*, published once complete
    private static int s_devNull = -1;

    /// <summary>Starts the child described by <paramref name="request"/>.</summary>
    /// <exception cref="CommandStartException">It could not be started; nothing is left behind.</exception>
    public static LinuxChild Spawn(SpawnRequest request)
    {
        var attributes = Attributes();
        var command = request.Command;
        if (request.KillOnParentExit)
        {
            ParentExitWatchdog.Prepare();
        }

        var inherited = request.InheritedHandles;
        var firstFree = 3 + inherited.Count;

        // Descriptors the parent closes once the child has its copies, and the parent's own pipe ends.
        Span<int> closeAfter = stackalloc int[8 + inherited.Count];
        var closeCount = 0;
        int stdinParent = -1, stdoutParent = -1, stderrParent = -1;
        var addedRefs = new List<SafeHandle>(inherited.Count);
        var actions = NativeMemory.AllocZeroed(Libc.FileActionsSize);
        var actionsReady = false;
        NativeStrings? argv = null, envp = null;
        byte* path = null, cwd = null;
        var spawned = false;
        try
        {
            int stdinChild = Prepare(request, request.Stdin, 0, ref stdinParent, closeAfter, ref closeCount);
            int stdoutChild = Prepare(request, request.Stdout, 1, ref stdoutParent, closeAfter, ref closeCount);
            int stderrChild = request.Stderr.Kind == StdioKind.SameAsStdout
                ? (stdoutChild < 0 ? 1 : stdoutChild)
                : Prepare(request, request.Stderr, 2, ref stderrParent, closeAfter, ref closeCount);

            Libc.posix_spawn_file_actions_init(actions);
            actionsReady = true;

            // Every source must sit above the targets 0 .. firstFree-1, or an earlier dup2 could overwrite it.
            for (var i = 0; i < inherited.Count; i++)
            {
                var added = false;
                inherited[i].DangerousAddRef(ref added);
                addedRefs.Add(inherited[i]);
                var fd = Lift((int)inherited[i].DangerousGetHandle(), firstFree, request, closeAfter, ref closeCount);
                Check(Libc.posix_spawn_file_actions_adddup2(actions, fd, 3 + i), request, "adddup2");
            }

            AddDup(actions, request, stdinChild, 0, firstFree, closeAfter, ref closeCount);
            AddDup(actions, request, stdoutChild, 1, firstFree, closeAfter, ref closeCount);
            if (request.Stderr.Kind == StdioKind.SameAsStdout)
            {
                // Runs after fd 1 is in place, so "the same as stdout" is whatever fd 1 became.
                Check(Libc.posix_spawn_file_actions_adddup2(actions, 1, 2), request, "adddup2");
            }
            else
            {
                AddDup(actions, request, stderrChild, 2, firstFree, closeAfter, ref closeCount);
            }

            if (request.WorkingDirectory is { } dir)
            {
                cwd = NativeStrings.Utf8(dir);
                Check(Libc.posix_spawn_file_actions_addchdir_np(actions, cwd), request, "addchdir_np");
            }

            Check(Libc.posix_spawn_file_actions_addclosefrom_np(actions, firstFree), request, "addclosefrom_np");

            argv = NativeStrings.FromArguments(request.ArgumentZero, request.Arguments);
            envp = NativeStrings.FromEnvironment(request.Environment);
            path = NativeStrings.Utf8(request.Path);

            int pid;
            var rc = Libc.posix_spawn(&pid, path, actions, attributes, argv.Pointers, envp.Pointers);
            if (rc != 0)
            {
                throw SpawnErrors.FromErrno(request, rc, Libc.Describe(rc));
            }

            spawned = true;
            return Adopt(request, pid, stdinParent, stdoutParent, stderrParent);
        }
        finally
        {
            if (actionsReady)
            {
                Libc.posix_spawn_file_actions_destroy(actions);
            }

            NativeMemory.Free(actions);
            argv?.Dispose();
            envp?.Dispose();
            NativeMemory.Free(path);
            NativeMemory.Free(cwd);
            for (var i = 0; i < closeCount; i++)
            {
                Libc.close(closeAfter[i]);
            }

            foreach (var handle in addedRefs)
            {
                handle.DangerousRelease();
            }

            if (!spawned)
            {
                CloseIfOpen(stdinParent);
                CloseIfOpen(stdoutParent);
                CloseIfOpen(stderrParent);
            }
        }
    }

    /// <summary>A pipe whose two ends go to two children (a pipeline stage boundary).</summary>
    public static (ChildDescriptor Read, ChildDescriptor Write) CreateChildPipe(Command command)
    {
        var fds = stackalloc int[2];
        if (Libc.pipe2(fds, Libc.O_CLOEXEC) != 0)
        {
            var errno = Libc.Errno;
            throw SpawnErrors.Setup(command, errno, "creating a pipe between pipeline stages", Libc.Describe(errno));
        }

        return (new LinuxDescriptor(fds[0], owned: true), new LinuxDescriptor(fds[1], owned: true));
    }

    /// <summary>
    /// Takes the spawned child under tracking: its pidfd, watchdog slot and pipe ends. Any failure on the way
    /// kills and reaps the child's group and closes everything, so no child runs untracked (the child is not
    /// reaped before that kill, so its group's number cannot have been reused).
    /// </summary>
    private static LinuxChild Adopt(SpawnRequest request, int pid, int stdinParent, int stdoutParent, int stderrParent)
    {
        var probe = SpawnProbe.Current;
        int[] raw = [stdinParent, stdoutParent, stderrParent];
        var registered = new AsyncFd?[3];
        AsyncFd? pidfd = null;
        var slot = -1;
        try
        {
            var fd = Libc.pidfd_open(pid);
            if (fd < 0)
            {
                // Without a pidfd the child cannot be tracked safely: stop it now and report why.
                var errno = Libc.Errno;
                throw SpawnErrors.Setup(request.Command, errno, "opening a pidfd for the child", Libc.Describe(errno));
            }

            pidfd = AsyncFd.Register(fd, setNonBlocking: false);
            slot = request.KillOnParentExit ? ParentExitWatchdog.Register(pid) : -1;
            for (var i = 0; i < raw.Length; i++)
            {
                if (raw[i] >= 0)
                {
                    var end = raw[i];
                    raw[i] = -1; // from here the registration owns it (and closes it if it fails)
                    registered[i] = AsyncFd.Register(end);
                }

                if (i == 1)
                {
                    probe?.WhileAdopting?.Invoke(pid);
                }
            }

            return new LinuxChild(pid, pidfd, registered[0], registered[1], registered[2], slot, probe);
        }
        catch (Exception error)
        {
            Libc.kill(-pid, 9);
            Libc.kill(pid, 9);
            ReapBlocking(pid);
            foreach (var end in registered)
            {
                end?.Dispose();
            }

            foreach (var end in raw)
            {
                CloseIfOpen(end);
            }

            pidfd?.Dispose();
            if (slot >= 0)
            {
                ParentExitWatchdog.Unregister(slot);
            }

            if (error is CommandException)
            {
                throw;
            }

            throw new CommandStartException(
                request.Command,
                $"Cannot start '{request.Command}': setting up the started child failed ({error.Message}); it was stopped",
                (error as System.ComponentModel.Win32Exception)?.NativeErrorCode,
                error);
        }
    }

    /// <summary>The child-side descriptor for one standard stream; -1 for "inherit" (no file action).</summary>
    private static int Prepare(SpawnRequest request, ChildStdio stdio, int target, ref int parentEnd, Span<int> closeAfter, ref int closeCount)
    {
        switch (stdio.Kind)
        {
            case StdioKind.Inherit:
                return -1;
            case StdioKind.Null:
                return DevNull(request.Command);
            case StdioKind.Descriptor:
                return ((LinuxDescriptor)stdio.Descriptor!).Fd;
            case StdioKind.File:
            {
                var flags = target == 0
                    ? Libc.O_RDONLY
                    : Libc.O_WRONLY | Libc.O_CREAT | (stdio.Append ? Libc.O_APPEND : Libc.O_TRUNC);
                var p = NativeStrings.Utf8(stdio.Path!);
                var fd = Libc.open(p, flags | Libc.O_CLOEXEC, 438 /* 0666, less the umask */);
                var errno = Libc.Errno;
                NativeMemory.Free(p);
                if (fd < 0)
                {
                    throw new CommandStartException(
                        request.Command,
                        $"Cannot open '{stdio.Path}' as the {StreamName(target)} of '{request.Command}' ({Libc.Describe(errno)})",
                        errno);
                }

                closeAfter[closeCount++] = fd;
                return fd;
            }

            case StdioKind.Pipe:
            {
                var fds = stackalloc int[2];
                if (Libc.pipe2(fds, Libc.O_CLOEXEC) != 0)
                {
                    var errno = Libc.Errno;
                    throw SpawnErrors.Setup(request.Command, errno, $"creating the {StreamName(target)} pipe", Libc.Describe(errno));
                }

                // stdin: the child reads fds[0] and the parent writes fds[1]; stdout/stderr the other way round.
                var (child, parent) = target == 0 ? (fds[0], fds[1]) : (fds[1], fds[0]);
                parentEnd = parent;
                closeAfter[closeCount++] = child;
                return child;
            }

            default:
                throw new InvalidOperationException($"Unexpected stdio kind {stdio.Kind}");
        }
    }

    private static void AddDup(void* actions, SpawnRequest request, int source, int target, int firstFree, Span<int> closeAfter, ref int closeCount)
    {
        if (source < 0)
        {
            return;
        }

        source = Lift(source, firstFree, request, closeAfter, ref closeCount);
        Check(Libc.posix_spawn_file_actions_adddup2(actions, source, target), request, "adddup2");
    }

    /// <summary>Returns <paramref name="fd"/>, or a close-on-exec duplicate of it at or above <paramref name="minimum"/>.</summary>
    private static int Lift(int fd, int minimum, SpawnRequest request, Span<int> closeAfter, ref int closeCount)
    {
        if (fd >= minimum)
        {
            return fd;
        }

        var copy = Libc.fcntl(fd, Libc.F_DUPFD_CLOEXEC, minimum);
        if (copy < 0)
        {
            var errno = Libc.Errno;
            throw SpawnErrors.Setup(request.Command, errno, "duplicating a descriptor for the child", Libc.Describe(errno));
        }

        closeAfter[closeCount++] = copy;
        return copy;
    }

    private static int DevNull(Command command)
    {
        if (Volatile.Read(ref s_devNull) is var fd and >= 0)
        {
            return fd;
        }

        lock (s_devNullGate)
        {
            if (s_devNull < 0)
            {
                var p = NativeStrings.Utf8("/dev/null");
                var opened = Libc.open(p, Libc.O_RDWR | Libc.O_CLOEXEC, 0);
                var errno = Libc.Errno;
                NativeMemory.Free(p);
                if (opened < 0)
                {
                    throw SpawnErrors.Setup(command, errno, "opening /dev/null", Libc.Describe(errno));
                }

                // Kept above 2 so it can never be mistaken for a standard descriptor.
                if (opened < 3)
                {
                    var lifted = Libc.fcntl(opened, Libc.F_DUPFD_CLOEXEC, 3);
                    Libc.close(opened);
                    opened = lifted;
                }

                Volatile.Write(ref s_devNull, opened);
            }

            return s_devNull;
        }
    }

    /// <summary>The one spawn attribute set all children share (posix_spawn only reads it).</summary>
    private static void* Attributes()
    {
        // Double-checked: the volatile read pairs with the volatile write below, so a thread that sees the pointer
        // also sees the attribute set it points to, fully initialised (plain reads may be reordered on arm64).
        if (Volatile.Read(ref s_attributes) is var ready and not 0)
        {
            return (void*)ready;
        }

        lock (s_devNullGate)
        {
            if (s_attributes != 0)
            {
                return (void*)s_attributes;
            }

            var attr = NativeMemory.AllocZeroed(Libc.SpawnAttrSize);
            var mask = stackalloc byte[Libc.SigSetSize];
            var defaults = stackalloc byte[Libc.SigSetSize];
            Libc.posix_spawnattr_init(attr);
            Libc.sigemptyset(mask);
            Libc.sigfillset(defaults);
            Libc.sigdelset(defaults, 9);
            Libc.sigdelset(defaults, 19);

            // glibc's sigfillset leaves out its own signals 32 and 33, and its spawn then sets them to SIG_IGN in
            // the child, which exec keeps. Set their bits by hand (bit n-1 of a little-endian mask) so every
            // child starts with no signal ignored, as a freshly started program expects.
            defaults[3] |= 0x80;
            defaults[4] |= 0x01;
            Libc.posix_spawnattr_setsigmask(attr, mask);
            Libc.posix_spawnattr_setsigdefault(attr, defaults);
            Libc.posix_spawnattr_setpgroup(attr, 0);
            Libc.posix_spawnattr_setflags(
                attr, (short)(Libc.POSIX_SPAWN_SETPGROUP | Libc.POSIX_SPAWN_SETSIGMASK | Libc.POSIX_SPAWN_SETSIGDEF));
            Volatile.Write(ref s_attributes, (nint)attr);
            return attr;
        }
    }

    private static void Check(int rc, SpawnRequest request, string what)
    {
        if (rc != 0)
        {
            throw SpawnErrors.Setup(request.Command, rc, $"preparing the spawn ({what})", Libc.Describe(rc));
        }
    }

    private static void ReapBlocking(int pid)
    {
        var info = stackalloc byte[Libc.SigInfoSize];
        while (Libc.waitid(1 /* P_PID */, pid, info, Libc.WEXITED) < 0 && Libc.Errno == Libc.EINTR)
        {
        }
    }

    private static void CloseIfOpen(int fd)
    {
        if (fd >= 0)
        {
            Libc.close(fd);
        }
    }

    private static string StreamName(int fd) => fd switch { 0 => "stdin", 1 => "stdout", _ => "stderr" };
}
