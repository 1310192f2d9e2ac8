using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Gamut.Jobs.Commands;

namespace Gamut.Cli.Run.Execution;

/// <summary>
/// A stop-gap local backend on <see cref="Process"/>, used until the subprocess layer (Gamut.Processes) lands:
/// it cannot start a child in its own process group, so a stop sends SIGTERM to the child and then kills its
/// tree. Output is captured, streamed or inherited as asked.
/// </summary>
internal sealed partial class ProcessClassBackend : IJobBackend
{
    private readonly ConcurrentDictionary<int, Process> _running = new();

    public bool CanStream => true;

    public async Task<CommandOutcome> RunAsync(JobRequest request, CancellationToken stop)
    {
        var spec = request.Spec;
        var psi = new ProcessStartInfo
        {
            FileName = spec.Shell ?? spec.Executable,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = request.Routing != OutputRouting.Inherit,
            RedirectStandardError = request.Routing != OutputRouting.Inherit,
        };
        if (spec.Shell is not null)
        {
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(spec.Executable);
        }

        foreach (var a in spec.Arguments)
        {
            psi.ArgumentList.Add(a);
        }

        if (spec.Environment is not null)
        {
            foreach (var (k, v) in spec.Environment)
            {
                if (v is null)
                {
                    psi.Environment.Remove(k);
                }
                else
                {
                    psi.Environment[k] = v;
                }
            }
        }

        if (spec.WorkingDirectory is not null)
        {
            psi.WorkingDirectory = spec.WorkingDirectory;
        }

        var start = DateTimeOffset.UtcNow;
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {psi.FileName}");
        var pid = process.Id;
        _running[pid] = process;
        try
        {
            process.StandardInput.Close();
            Task<byte[]> stdout = Task.FromResult(Array.Empty<byte>());
            Task<byte[]> stderr = stdout;
            if (request.Routing != OutputRouting.Inherit)
            {
                stdout = ReadAsync(process.StandardOutput.BaseStream, request, isStderr: false);
                stderr = ReadAsync(process.StandardError.BaseStream, request, isStderr: true);
            }

            var timedOut = false;
            using var timeout = spec.TimeoutSeconds is { } t ? new CancellationTokenSource(TimeSpan.FromSeconds(t)) : null;
            using var either = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout?.Token ?? CancellationToken.None);
            try
            {
                await process.WaitForExitAsync(either.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                timedOut = timeout?.IsCancellationRequested == true && !stop.IsCancellationRequested;
                _ = Kill(pid, 15);
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(spec.GraceSeconds ?? 2));
                try
                {
                    await process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }

            var outBytes = await stdout.ConfigureAwait(false);
            var errBytes = await stderr.ConfigureAwait(false);
            var code = process.ExitCode;
            // Process reports a signal as 128 + its number, indistinguishable from such an exit code: take it as a signal.
            int? signal = code > 128 && code < 128 + 65 ? code - 128 : null;
            return new CommandOutcome
            {
                ExitCode = code,
                Signal = signal,
                TimedOut = timedOut,
                Stdout = outBytes,
                Stderr = errBytes,
                StartTime = start,
                EndTime = DateTimeOffset.UtcNow,
            };
        }
        finally
        {
            _running.TryRemove(pid, out _);
        }
    }

    public void KillAll()
    {
        foreach (var p in _running.Values)
        {
            try
            {
                p.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static async Task<byte[]> ReadAsync(Stream stream, JobRequest request, bool isStderr)
    {
        if (request.Routing == OutputRouting.Stream)
        {
            var buffer = new byte[16 * 1024];
            int n;
            while ((n = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                request.Listener!.OnOutput(request, isStderr, buffer.AsSpan(0, n));
            }

            return [];
        }

        using var ms = new MemoryStream();
        await stream.CopyToAsync(ms).ConfigureAwait(false);
        return ms.ToArray();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
