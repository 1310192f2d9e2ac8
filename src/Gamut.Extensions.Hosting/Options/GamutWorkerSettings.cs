using Gamut.Redis;

namespace Gamut.Extensions.Hosting;

/// <summary>The hosted Redis worker, bound from the configuration section <c>Gamut:Worker</c> and checked when the host starts.</summary>
public sealed class GamutWorkerSettings
{
    /// <summary>The configuration section these settings come from.</summary>
    public const string Section = "Gamut:Worker";

    /// <summary>The queues served, highest priority first; <c>default</c> when empty.</summary>
    public List<string> Queues { get; set; } = [];

    /// <summary>How many jobs run at once; the number of cores when null.</summary>
    public int? Concurrency { get; set; }

    /// <summary>Where jobs run: <c>Threads</c> (in this process, built by the container) or <c>Processes</c>.</summary>
    public WorkerIsolation Isolation { get; set; } = WorkerIsolation.Threads;

    /// <summary>How long a stop waits for running jobs before handing them back; 30 s when null. Keep the host's own shutdown timeout at least this long.</summary>
    public TimeSpan? ShutdownTimeout { get; set; }

    /// <summary>How old this worker's last heartbeat may be before its health check fails; three heartbeat intervals when null.</summary>
    public TimeSpan? HeartbeatMaxAge { get; set; }
}
