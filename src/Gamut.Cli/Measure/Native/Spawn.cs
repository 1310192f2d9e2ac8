using Gamut.Processes.Linux;

namespace Gamut.Cli.Measure.Native;

/// <summary>
/// posix_spawn through Gamut's own libc bindings, with nothing around it: the operating system's cost of starting a
/// process, the baseline for System.Diagnostics.Process and Gamut's Command. Also starts the measuring peers with
/// a descriptor of ours as their stdin and stdout.
/// </summary>
internal static unsafe class Spawn
{
    private const int PPid = 1;

    /// <summary>Starts <paramref name="path"/> with <paramref name="args"/>; <paramref name="stdin"/> and <paramref name="stdout"/> become its 0 and 1 when not -1.</summary>
    /// <returns>The child's process id.</returns>
    public static int Start(string path, IReadOnlyList<string> args, IReadOnlyList<KeyValuePair<string, string>> environment, int stdin = -1, int stdout = -1)
    {
        var actions = stackalloc byte[Libc.FileActionsSize];
        Libc.posix_spawn_file_actions_init(actions);
        try
        {
            if (stdin >= 0)
            {
                Libc.posix_spawn_file_actions_adddup2(actions, stdin, 0);
            }

            if (stdout >= 0)
            {
                Libc.posix_spawn_file_actions_adddup2(actions, stdout, 1);
            }

            using var argv = NativeStrings.FromArguments(path, args);
            using var envp = NativeStrings.FromEnvironment(environment);
            var file = NativeStrings.Utf8(path);
            try
            {
                int pid;
                var rc = Libc.posix_spawn(&pid, file, actions, null, argv.Pointers, envp.Pointers);
                if (rc != 0)
                {
                    throw new IOException($"posix_spawn {path}: {Libc.Describe(rc)}");
                }

                return pid;
            }
            finally
            {
                System.Runtime.InteropServices.NativeMemory.Free(file);
            }
        }
        finally
        {
            Libc.posix_spawn_file_actions_destroy(actions);
        }
    }

    /// <summary>Waits for the child to end and reaps it; returns its exit status (128+N for signal N).</summary>
    public static int Wait(int pid)
    {
        var info = stackalloc byte[Libc.SigInfoSize];
        while (Libc.waitid(PPid, pid, info, Libc.WEXITED) != 0)
        {
            if (Libc.Errno != Libc.EINTR)
            {
                throw new IOException($"waitid {pid}: {Libc.Describe(Libc.Errno)}");
            }
        }

        var code = *(int*)(info + 8);
        var status = *(int*)(info + 24);
        return code == Libc.CLD_EXITED ? status : 128 + status;
    }

    /// <summary>This process's environment as pairs (what a peer inherits).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> CurrentEnvironment() =>
        [.. Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(e => new KeyValuePair<string, string>((string)e.Key, (string?)e.Value ?? ""))];
}
