using Gamut.Redis;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gamut.Extensions.Hosting.Redis;

/// <summary>
/// A Redis client of the host: connected (and Redis checked) when the host starts, so a Redis that is down or unsafe
/// stops the start with Gamut's own error, not the first request; disposed with the host.
/// </summary>
internal sealed class GamutRedisClient(string name, GamutRedisSettings settings, ILogger logger) : IAsyncDisposable
{
    private RedisExecutor? _executor;

    public string Name { get; } = name;

    /// <summary>Why the last connection attempt failed, if it did.</summary>
    public Exception? StartFailure { get; private set; }

    public RedisExecutor Executor => _executor ?? throw new InvalidOperationException(
        $"The Redis executor '{Name}' connects when the host starts; resolve it after the host has started (IHost.StartAsync)"
        + (StartFailure is { } e ? $". It failed to connect: {e.Message}" : ""));

    public bool IsConnected => _executor is not null;

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        if (_executor is not null)
        {
            return;
        }

        try
        {
            var options = GamutSettingsValidation.Build(settings).WithLogger(logger);
            _executor = await RedisExecutor.ConnectAsync(options, cancellationToken: cancellationToken).ConfigureAwait(false);
            StartFailure = null;
        }
        catch (Exception e) when (e is RedisStartupException or RedisUnavailableException)
        {
            StartFailure = e;
            throw;
        }
    }

    public ValueTask DisposeAsync() => _executor?.DisposeAsync() ?? ValueTask.CompletedTask;
}

/// <summary>Connects a <see cref="GamutRedisClient"/> when the host starts.</summary>
internal sealed class GamutRedisClientStarter(GamutRedisClient client) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => client.ConnectAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
