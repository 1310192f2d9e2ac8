using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Gamut.Processes.Internal;

namespace Gamut.Processes.Fallback;

/// <summary>
/// The spawner where the native one cannot run: <c>System.Diagnostics.Process</c>. It keeps Gamut's API
/// but not all its guarantees: no new process group (a stop kills the process tree instead), descriptors
/// opened without close-on-exec leak into children, no watchdog for <see cref="Command.KillOnParentExit"/>,
/// and the parent relays file redirections and pipelines.
/// </summary>
internal static partial class ProcessSpawner
{
    public static IChildHandle Spawn(SpawnRequest request)
    {
        if (OperatingSystem.IsWindows() && IsBatchFile(request.Path))
        {
            // cmd.exe re-parses a batch file's arguments, and no quoting makes that safe (BatBadBut, CVE-2024-24576).
            throw new CommandStartException(
                request.Command,
                $"'{request.Path}' is a batch file, which runs through cmd.exe and re-parses its arguments unsafely; run Command.Create(\"cmd.exe\", \"/c\", …) explicitly if that is acceptable");
        }

        var psi = new ProcessStartInfo(request.Path)
        {
            UseShellExecute = false,
            WorkingDirectory = request.WorkingDirectory ?? "",
            RedirectStandardInput = request.Stdin.Kind != StdioKind.Inherit,
            RedirectStandardOutput = request.Stdout.Kind != StdioKind.Inherit,
            RedirectStandardError = request.Stderr.Kind != StdioKind.Inherit,
        };
        foreach (var argument in request.Arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        psi.Environment.Clear();
        foreach (var (name, value) in request.Environment)
        {
            psi.Environment[name] = value;
        }

        if (request.WorkingDirectory is { } cwd && !Directory.Exists(cwd))
        {
            throw SpawnErrors.FromErrno(request, 2, "ENOENT");
        }

        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new CommandStartException(request.Command, $"Cannot start '{request.Command}'");
        }
        catch (Win32Exception e)
        {
            // On Unix the native error is the errno; on Windows map the common ones.
            var errno = OperatingSystem.IsWindows()
                ? e.NativeErrorCode switch { 2 or 3 => 2, 5 => 13, 206 => 7, _ => e.NativeErrorCode }
                : e.NativeErrorCode;
            throw SpawnErrors.FromErrno(request, errno, e.Message);
        }

        return new ProcessChild(process, request);
    }

    private sealed class ProcessChild : IChildHandle
    {
        private readonly Process _process;
        private int _released;

        public ProcessChild(Process process, SpawnRequest request)
        {
            _process = process;
            ProcessId = process.Id;
            StandardInput = Wire(request.Stdin, process.StartInfo.RedirectStandardInput ? process.StandardInput.BaseStream : null, input: true);
            var stdout = process.StartInfo.RedirectStandardOutput ? process.StandardOutput.BaseStream : null;
            var stderr = process.StartInfo.RedirectStandardError ? process.StandardError.BaseStream : null;
            if (request.Stderr.Kind == StdioKind.SameAsStdout && request.Stdout.Kind == StdioKind.Pipe && stdout is not null && stderr is not null)
            {
                // 2>&1 by relay: both streams into one pipe end, in the order their pieces arrive.
                StandardOutput = new MergedPipeEnd(stdout, stderr);
            }
            else
            {
                StandardOutput = Wire(request.Stdout, stdout, input: false);
                StandardError = Wire(request.Stderr.Kind == StdioKind.SameAsStdout ? request.Stdout : request.Stderr, stderr, input: false);
            }
            Exited = WaitAsync();
        }

        public int ProcessId { get; }

        public PipeEnd? StandardInput { get; }

        public PipeEnd? StandardOutput { get; }

        public PipeEnd? StandardError { get; }

        public Task<ProcessExitStatus> Exited { get; }

        public bool Signal(int signal)
        {
            if (!IsRunning())
            {
                return false;
            }

            if (signal == Signals.Kill || OperatingSystem.IsWindows())
            {
                _process.Kill(entireProcessTree: false);
                return true;
            }

            return kill(ProcessId, signal) == 0;
        }

        public bool SignalGroup(int signal)
        {
            if (!IsRunning())
            {
                return false;
            }

            switch (signal)
            {
                case 0:
                    return true;
                case Signals.Terminate or Signals.Kill:
                    // No process group here: a stop kills the tree at once, while it can still be found.
                    _process.Kill(entireProcessTree: true);
                    return true;
                case Signals.Continue:
                    return true;
                default:
                    return !OperatingSystem.IsWindows() && kill(ProcessId, signal) == 0;
            }
        }

        public bool IsGroupEmpty() => !IsRunning();

        public void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                _process.Dispose();
            }
        }

        private bool IsRunning()
        {
            try
            {
                return Volatile.Read(ref _released) == 0 && !_process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }

        private static PipeEnd? Wire(ChildStdio stdio, Stream? stream, bool input)
        {
            if (stream is null)
            {
                return null;
            }

            switch (stdio.Kind)
            {
                case StdioKind.Pipe:
                    return new StreamPipeEnd(stream);
                case StdioKind.Null when input:
                    stream.Dispose();
                    return null;
                case StdioKind.Null:
                    _ = stream.CopyToAsync(Stream.Null);
                    return null;
                case StdioKind.File when input:
                    _ = CopyAndCloseAsync(File.OpenRead(stdio.Path!), stream);
                    return null;
                case StdioKind.File:
                    _ = CopyAndCloseAsync(stream, new FileStream(stdio.Path!, stdio.Append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.ReadWrite));
                    return null;
                default:
                    return new StreamPipeEnd(stream);
            }
        }

        private static async Task CopyAndCloseAsync(Stream from, Stream to)
        {
            try
            {
                await from.CopyToAsync(to).ConfigureAwait(false);
            }
            catch (IOException)
            {
            }
            finally
            {
                await from.DisposeAsync().ConfigureAwait(false);
                await to.DisposeAsync().ConfigureAwait(false);
            }
        }

        private async Task<ProcessExitStatus> WaitAsync()
        {
            await _process.WaitForExitAsync().ConfigureAwait(false);
            var code = _process.ExitCode;

            // On Unix .NET reports death by signal N as 128 + N.
            return !OperatingSystem.IsWindows() && code > 128 && code <= 128 + Signals.Max
                ? new ProcessExitStatus(code, code - 128)
                : new ProcessExitStatus(code);
        }
    }

    private static bool IsBatchFile(string path)
    {
        // Windows ignores trailing dots and spaces in file names: "run.bat. " is run.bat.
        var trimmed = path.TrimEnd('.', ' ');
        return trimmed.EndsWith(".bat", StringComparison.OrdinalIgnoreCase) || trimmed.EndsWith(".cmd", StringComparison.OrdinalIgnoreCase);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
