using System.ComponentModel;
using System.Diagnostics;
using Gamut.Ipc.Native;

namespace Gamut.Pool.Launch;

/// <summary>
/// Starts workers with <see cref="Process"/>. A stand-in until the pool launches through Gamut.Processes
/// (posix_spawn with process groups, pidfd exit tracking): <see cref="Process"/> reports a death by signal N as
/// exit code 128 + N, which is read back as the signal here.
/// </summary>
internal sealed class ProcessWorkerLauncher : IWorkerLauncher
{
    public IWorkerProcess Start(WorkerStartInfo info)
    {
        var psi = new ProcessStartInfo(info.FileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = info.WorkingDirectory,
        };
        foreach (var a in info.Arguments)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in info.Environment)
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

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                info.OnStdout(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                info.OnStderr(e.Data);
            }
        };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException or IOException)
        {
            process.Dispose();
            throw new WorkerStartException($"Could not start {info.FileName}: {e.Message}", e);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new Worker(process);
    }

    private sealed class Worker : IWorkerProcess
    {
        private readonly Process _process;

        public Worker(Process process)
        {
            _process = process;
            Pid = process.Id;
            Exited = WaitAsync();
        }

        public int Pid { get; }

        public Task<WorkerExit> Exited { get; }

        public bool Signal(int signal)
        {
            if (Exited.IsCompleted)
            {
                return false;
            }

            try
            {
                if (_process.HasExited)
                {
                    return false;
                }
            }
            catch (InvalidOperationException)
            {
                return false;
            }

            return LinuxNative.SendSignal(Pid, signal);
        }

        public void Dispose() => _process.Dispose();

        private async Task<WorkerExit> WaitAsync()
        {
            await _process.WaitForExitAsync().ConfigureAwait(false);
            var code = _process.ExitCode;
            return code > 128 && code < 160 ? new WorkerExit(null, code - 128) : new WorkerExit(code, null);
        }
    }
}
