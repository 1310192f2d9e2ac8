using Gamut.Pool.Engine;
using Gamut.Pool.Worker;
using Microsoft.Extensions.Logging;

namespace Gamut.Pool.Launch;

/// <summary>
/// Starts one worker process for a pool: its command line (the dotnet host, Gamut.Worker.dll, the pool's socket, the
/// worker's id and slot), its environment (the pool's, plus the worker's secret, which the worker removes at once),
/// and where its stdout and stderr go (the pool's logger, and the worker's stderr tail for crash reports).
/// </summary>
internal sealed class WorkerSpawner
{
    private readonly IWorkerLauncher _launcher;
    private readonly string _workerAssembly;
    private readonly IReadOnlyDictionary<string, string?>? _environment;
    private readonly ILogger _logger;

    /// <exception cref="FileNotFoundException">Gamut.Worker.dll or the dotnet host cannot be found.</exception>
    public WorkerSpawner(IWorkerLauncher launcher, string? workerAssemblyPath, IReadOnlyDictionary<string, string?>? environment, ILogger logger)
    {
        _launcher = launcher;
        _workerAssembly = WorkerCommand.FindWorkerAssembly(workerAssemblyPath);
        _ = WorkerCommand.HostPath;
        _environment = environment;
        _logger = logger;
    }

    /// <summary>Starts the process of <paramref name="w"/>, which will connect to <paramref name="socketName"/>.</summary>
    /// <exception cref="WorkerStartException">The process could not be started.</exception>
    public IWorkerProcess Start(WorkerHandle w, string socketName)
    {
        var args = new WorkerArguments(socketName, w.Id, w.Slot.Path, Environment.ProcessId);
        var env = new Dictionary<string, string?>(StringComparer.Ordinal) { [WorkerArguments.TokenVariable] = w.Token };
        WorkerCommand.AddEnvironment(_workerAssembly, env);
        foreach (var (k, v) in _environment ?? new Dictionary<string, string?>())
        {
            env[k] = v;
        }

        var info = new WorkerStartInfo(
            WorkerCommand.HostPath,
            WorkerCommand.Arguments(_workerAssembly, args.ToArgs()),
            env,
            Environment.CurrentDirectory,
            line => _logger.LogInformation("worker {WorkerId} stdout: {Line}", w.Id, line),
            line =>
            {
                w.AddStderr(line);
                _logger.LogWarning("worker {WorkerId} stderr: {Line}", w.Id, line);
            });
        return _launcher.Start(info);
    }
}
