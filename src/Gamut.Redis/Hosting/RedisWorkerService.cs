using Microsoft.Extensions.Hosting;

namespace Gamut.Redis;

/// <summary>
/// A Redis worker as a <see cref="BackgroundService"/> in a .NET generic host: it starts with the host and stops
/// gracefully with it (SIGTERM included), finishing or handing back its jobs within
/// <see cref="RedisWorkerOptions.ShutdownTimeout"/>. Set the host's own shutdown timeout at least that long.
/// <code>
/// builder.Services.AddHostedService(_ => new RedisWorkerService(RedisOptions.FromUrl(url), new RedisWorkerOptions { Registry = registry }));
/// </code>
/// </summary>
/// <param name="options">Where Redis is and how Gamut uses it.</param>
/// <param name="workerOptions">Queues, concurrency, registry, isolation.</param>
public sealed class RedisWorkerService(RedisOptions options, RedisWorkerOptions workerOptions) : BackgroundService
{
    private RedisWorker? _worker;

    /// <summary>The running worker, once started.</summary>
    public RedisWorker? Worker => _worker;

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _worker = await RedisWorker.StartAsync(options, workerOptions, stoppingToken).ConfigureAwait(false);
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <inheritdoc/>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_worker is not null)
        {
            await _worker.StopAsync(cancellationToken).ConfigureAwait(false);
            await _worker.DisposeAsync().ConfigureAwait(false);
        }
    }
}
