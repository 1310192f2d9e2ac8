using Gamut.Redis;
using Microsoft.Extensions.Logging;

namespace Gamut.Dashboard.Internal;

/// <summary>
/// The one poller of a dashboard: reads the status through <see cref="RedisAdmin"/> every poll interval, keeps the
/// newest snapshot (JSON) and wakes every waiting browser when it changes. However many browsers watch, Redis sees
/// one reader. It starts with the first request and stops when the app stops.
/// </summary>
internal sealed class DashboardHub : IAsyncDisposable
{
    private readonly DashboardOptions _options;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly ThroughputHistory _history = new();
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly object _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private RedisAdmin? _admin;
    private Task? _loop;
    private string _snapshot = "{\"loading\":true}";
    private long _version;

    public DashboardHub(DashboardOptions options, ILogger log)
    {
        _options = options;
        _log = log;
    }

    /// <summary>Cancelled when the app stops: live feeds end then, so the server's shutdown does not wait for browsers.</summary>
    public CancellationToken Stopping => _stop.Token;

    /// <summary>The newest snapshot and its version (starts the poller on first use).</summary>
    public (long Version, string Json) Current
    {
        get
        {
            EnsureStarted();
            lock (_gate)
            {
                return (_version, _snapshot);
            }
        }
    }

    /// <summary>Waits until a snapshot newer than <paramref name="seen"/> exists, then returns it.</summary>
    public async Task<(long Version, string Json)> WaitNewerAsync(long seen, CancellationToken cancellationToken)
    {
        EnsureStarted();
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_version > seen)
                {
                    return (_version, _snapshot);
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The admin connection (connected on first use, again after a failure), for reads and actions.</summary>
    public async Task<RedisAdmin> AdminAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _admin) is { } admin)
        {
            return admin;
        }

        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return _admin ??= (await RedisAdmin.ConnectAsync(_options.Redis, cancellationToken).ConfigureAwait(false)).WithoutKeyScans();
        }
        finally
        {
            _connectLock.Release();
        }
    }

    /// <summary>Reads again now (after an action, so its effect shows at once).</summary>
    public void Poke()
    {
        lock (_gate)
        {
            _poke.TrySetResult();
        }
    }

    private TaskCompletionSource _poke = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void EnsureStarted()
    {
        if (Volatile.Read(ref _loop) is not null)
        {
            return;
        }

        lock (_gate)
        {
            _loop ??= Task.Run(() => PollAsync(_stop.Token));
        }
    }

    private async Task PollAsync(CancellationToken stop)
    {
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            string json;
            try
            {
                var admin = await AdminAsync(stop).ConfigureAwait(false);
                var status = await admin.GetStatusAsync(stop).ConfigureAwait(false);
                _history.Add(DateTimeOffset.UtcNow, status.Queues.Sum(q => q.Succeeded), status.Queues.Sum(q => q.DeadLettered));
                json = SnapshotJson.Write(status, _history, _options, null);
                failures = 0;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Redis away, a wrong-typed key, a start-up check refused: show it on the page and keep trying.
                if (++failures is 1 or 10 or 100)
                {
                    _log.LogWarning(e, "Gamut dashboard: reading the status failed ({Failures} times in a row)", failures);
                }

                json = SnapshotJson.Write(null, _history, _options, e.Message);
            }

            Task poked;
            lock (_gate)
            {
                if (json != _snapshot)
                {
                    _snapshot = json;
                    _version++;
                    var changed = _changed;
                    _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
                    changed.TrySetResult();
                }

                if (_poke.Task.IsCompleted)
                {
                    _poke = new(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                poked = _poke.Task;
            }

            try
            {
                var delay = failures == 0 ? _options.PollInterval : TimeSpan.FromMilliseconds(Math.Min(5000, _options.PollInterval.TotalMilliseconds * failures));
                await Task.WhenAny(poked, Task.Delay(delay, stop)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is { } loop)
        {
            await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (_admin is { } admin)
        {
            await admin.DisposeAsync().ConfigureAwait(false);
        }

        _connectLock.Dispose();
    }
}
