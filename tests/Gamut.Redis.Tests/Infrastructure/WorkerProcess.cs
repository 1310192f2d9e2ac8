using System.Diagnostics;

namespace Gamut.Redis.Tests.Infrastructure;

/// <summary>A real worker process (this test assembly run as a program, see Program.cs) that a test can kill.</summary>
public sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Text.StringBuilder _stderr = new();
    private readonly List<(string Text, TaskCompletionSource Said)> _awaited = [];

    private WorkerProcess(Process process)
    {
        _process = process;
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string WorkerId => _ready.Task.IsCompletedSuccessfully ? _ready.Task.Result : "";

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public static WorkerProcess Start(RedisServer server, string prefix, string queues, int concurrency, string? ledgerDir, string? crashPoint = null) =>
        Start(server.Url, prefix, queues, concurrency, ledgerDir, crashPoint);

    /// <summary>
    /// Starts a worker on <paramref name="url"/> (e.g. a fault proxy's); <paramref name="env"/> overrides the
    /// worker program's settings (Program.cs: GAMUT_TEST_HEARTBEAT, GAMUT_TEST_MAX_LOST, GAMUT_TEST_RESULT_TTL_MS…).
    /// </summary>
    public static WorkerProcess Start(string url, string prefix, string queues, int concurrency, string? ledgerDir, string? crashPoint = null, IReadOnlyDictionary<string, string>? env = null)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var psi = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { typeof(WorkerProcess).Assembly.Location, "worker", url, prefix, queues, concurrency.ToString() })
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["GAMUT_TEST_LEDGER"] = ledgerDir ?? "";
        psi.Environment["GAMUT_TEST_CRASHPOINT"] = crashPoint ?? "";
        psi.Environment["DOTNET_TieredPGO"] = "0";
        psi.Environment["GAMUT_TEST_MAX_LOST"] = "2";
        foreach (var (name, value) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }

        var worker = new WorkerProcess(Process.Start(psi)!);
        worker._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.StartsWith("ready ", StringComparison.Ordinal) == true)
            {
                worker._ready.TrySetResult(e.Data[6..]);
            }
        };
        worker._process.ErrorDataReceived += (_, e) =>
        {
            lock (worker._stderr)
            {
                worker._stderr.AppendLine(e.Data);
                foreach (var (text, said) in worker._awaited)
                {
                    if (e.Data?.Contains(text, StringComparison.Ordinal) == true)
                    {
                        said.TrySetResult();
                    }
                }
            }
        };
        worker._process.BeginOutputReadLine();
        worker._process.BeginErrorReadLine();
        worker._process.Exited += (_, _) => worker._ready.TrySetException(new InvalidOperationException($"worker exited before ready: {worker.Stderr}"));
        worker._process.EnableRaisingEvents = true;
        return worker;
    }

    public Task<string> Ready => _ready.Task;

    /// <summary>Ends when the worker writes a line containing <paramref name="text"/> on standard error (fails if it exits first).</summary>
    public Task SaysAsync(string text)
    {
        var said = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_stderr)
        {
            if (_stderr.ToString().Contains(text, StringComparison.Ordinal))
            {
                return Task.CompletedTask;
            }

            _awaited.Add((text, said));
        }

        void Exited()
        {
            // WaitForExit() without a timeout also waits for standard error's last lines to be read.
            _process.WaitForExit();
            said.TrySetException(new InvalidOperationException($"worker exited without saying '{text}': {Stderr}"));
        }

        _process.Exited += (_, _) => Exited();
        if (_process.HasExited)
        {
            Exited();
        }

        return said.Task;
    }

    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    public void Signal(string signal)
    {
        using var p = Process.Start("kill", [$"-{signal}", Pid.ToString()]);
        p.WaitForExit();
    }

    public Task WaitForExitAsync(CancellationToken token = default) => _process.WaitForExitAsync(token);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Signal("CONT");
        }

        Kill();
        _process.Dispose();
    }
}
