namespace Gamut.Pool.Launch;

/// <summary>
/// Starts worker processes. The seam between the pool and the subprocess layer: the pool needs a process it can
/// signal, whose exit it learns at once, and whose stdout and stderr arrive line by line.
/// </summary>
internal interface IWorkerLauncher
{
    /// <summary>Starts a worker.</summary>
    /// <exception cref="WorkerStartException">The process could not be started.</exception>
    IWorkerProcess Start(WorkerStartInfo info);
}

/// <summary>What to start, and where its output lines go.</summary>
internal sealed record WorkerStartInfo(
    string FileName,
    IReadOnlyList<string> Arguments,
    IReadOnlyDictionary<string, string?> Environment,
    string WorkingDirectory,
    Action<string> OnStdout,
    Action<string> OnStderr);

/// <summary>A started worker process.</summary>
internal interface IWorkerProcess : IDisposable
{
    int Pid { get; }

    /// <summary>Completes when the process has ended and its output has been read to the end.</summary>
    Task<WorkerExit> Exited { get; }

    /// <summary>Sends a signal; false when the process has already ended.</summary>
    bool Signal(int signal);
}

/// <summary>A worker process could not be started at all.</summary>
internal sealed class WorkerStartException(string message, Exception? inner = null) : Exception(message, inner);
