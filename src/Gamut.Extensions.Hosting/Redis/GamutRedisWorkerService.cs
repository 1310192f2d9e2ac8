using Gamut.Jobs;
using Gamut.Redis;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gamut.Extensions.Hosting.Redis;

/// <summary>
/// The host's Redis worker: starts with the host (Redis checked, settings validated), runs the registry's jobs —
/// each built in a service scope of its own — and stops with the host, finishing or handing back its jobs within
/// <see cref="GamutWorkerSettings.ShutdownTimeout"/>.
/// </summary>
internal sealed class GamutRedisWorkerService(
    IOptions<GamutRedisSettings> redis,
    IOptions<GamutWorkerSettings> settings,
    JobRegistry registry,
    GamutRegistrations registrations,
    ILoggerFactory? loggerFactory = null) : IHostedService, IAsyncDisposable
{
    private RedisWorker? _worker;

    /// <summary>The running worker, once the host has started.</summary>
    public RedisWorker? Worker => _worker;

    /// <summary>The worker's settings.</summary>
    public GamutWorkerSettings Settings => settings.Value;

    /// <summary>The Redis options it runs with.</summary>
    public RedisOptions? Options { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var logger = loggerFactory?.CreateLogger("Gamut.Redis.Worker") ?? NullLogger.Instance;
        Options = GamutSettingsValidation.Build(redis.Value).WithLogger(logger);
        var s = settings.Value;
        var workerOptions = new RedisWorkerOptions
        {
            Registry = registry,
            Isolation = s.Isolation,
            WorkerSetup = registrations.RedisWorkerSetup,
        };
        if (s.Queues.Count > 0)
        {
            workerOptions = workerOptions with { Queues = [.. s.Queues] };
        }

        if (s.Concurrency is { } concurrency)
        {
            workerOptions = workerOptions with { Concurrency = concurrency };
        }

        if (s.ShutdownTimeout is { } timeout)
        {
            workerOptions = workerOptions with { ShutdownTimeout = timeout };
        }

        _worker = await RedisWorker.StartAsync(Options, workerOptions, cancellationToken).ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_worker is { } worker)
        {
            await worker.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => _worker?.DisposeAsync() ?? ValueTask.CompletedTask;
}
