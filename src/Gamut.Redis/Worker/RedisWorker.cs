using Gamut.Redis.Connection;
using Gamut.Redis.Ring;
using Gamut.Redis.Scheduling;
using Gamut.Redis.Worker;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gamut.Redis;

/// <summary>
/// A worker: takes jobs from one or more Redis queues (highest priority first), runs them on a local executor
/// with at most <see cref="RedisWorkerOptions.Concurrency"/> at once, records their outcomes, proves it is alive
/// with heartbeats, and returns the jobs of dead workers to their queues. On a ring of Redis instances it serves
/// every member (and every draining one) that answers, within the same slots, and follows the ring's changes.
/// Stop it with <see cref="StopAsync"/> (or by cancelling the token given to <see cref="RunAsync"/>): it stops
/// taking, lets running jobs finish within <see cref="RedisWorkerOptions.ShutdownTimeout"/>, and hands back the rest.
/// <code>
/// var registry = new JobRegistry().AddAssembly(typeof(CircleArea).Assembly);
/// await RedisWorker.RunAsync(RedisOptions.FromUrl("redis://127.0.0.1:6379"), new RedisWorkerOptions { Registry = registry }, stoppingToken);
/// </code>
/// </summary>
public sealed class RedisWorker : IAsyncDisposable
{
    private readonly IRedisDeployment _deployment;
    private readonly RedisWorkerOptions _options;
    private readonly IJobRunner _runner;
    private readonly WorkerSlots _slots;
    private readonly Dictionary<RedisConnection, (InstanceWorker Worker, PendingRemover? Remover)> _parts = [];
    private readonly List<Task> _leaving = [];
    private readonly SemaphoreSlim _changing = new(1, 1);
    private readonly SemaphoreSlim _nudge = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly ILogger _log;
    private WorkerCounters _retired = new(0, 0, 0, 0, 0, 0, 0, 0);
    private Task _follow = Task.CompletedTask;
    private Task? _stopping;
    private ScheduleKeeper? _keeper;
    private RedisQueueGauge? _gauge;

    private RedisWorker(IRedisDeployment deployment, RedisWorkerOptions options)
    {
        _deployment = deployment;
        _options = options;
        _log = deployment.Logger;
        Id = options.WorkerId ?? $"{InstanceWorker.Sanitize(Environment.MachineName)}-{Environment.ProcessId}-{Random.Shared.Next(0x10000):x4}";
        _slots = new WorkerSlots(options.Concurrency);
        _runner = options.Isolation switch
        {
            WorkerIsolation.Threads => new ThreadsJobRunner(options.Concurrency, options.Registry, options.Serializer),
            _ => new ProcessesJobRunner(options.Concurrency, options.Registry, options.Serializer, deployment.Logger, options.WorkerSetup),
        };
    }

    /// <summary>The worker's id, as <c>gamut status</c> shows it.</summary>
    public string Id { get; }

    /// <summary>The queues served, highest priority first.</summary>
    public IReadOnlyList<string> Queues => _options.Queues;

    /// <summary>Jobs running now.</summary>
    public int RunningJobs => _slots.Running;

    /// <summary>The Redis instances served now: one outside a ring; on a ring, every member (and draining one) it reached.</summary>
    public IReadOnlyList<string> Instances
    {
        get
        {
            lock (_parts)
            {
                return [.. _parts.Keys.Select(c => c.Name)];
            }
        }
    }

    /// <summary>
    /// When this worker last proved it is alive (its heartbeat reached Redis; on a ring, the latest of its members):
    /// a health check's measure. <see cref="DateTimeOffset.MinValue"/> before the first beat.
    /// </summary>
    public DateTimeOffset LastHeartbeat
    {
        get
        {
            lock (_parts)
            {
                return _parts.Keys.Count == 0 ? DateTimeOffset.MinValue : _parts.Values.Max(p => p.Worker.LastHeartbeat);
            }
        }
    }

    /// <summary>What the worker has done so far.</summary>
    public WorkerCounters Counters
    {
        get
        {
            lock (_parts)
            {
                return _parts.Values.Select(p => p.Worker.Counters).Aggregate(_retired, Add);
            }
        }
    }

    /// <summary>Ends when the worker has stopped (after <see cref="StopAsync"/>).</summary>
    public Task Completion
    {
        get
        {
            if (_stopping is { } stopping)
            {
                return stopping;
            }

            lock (_parts)
            {
                return Task.WhenAll(_parts.Values.Select(p => p.Worker.Completion).Append(_follow));
            }
        }
    }

    internal IRedisDeployment Deployment => _deployment;

    private IReadOnlyList<RedisConnection> ServedConnections()
    {
        lock (_parts)
        {
            return [.. _parts.Keys];
        }
    }

    /// <summary>
    /// Connects, checks the server, and starts working. Several instances in <paramref name="options"/> are a Redis
    /// Cluster's nodes, or a ring, whose every member is then served (docs/ring.md).
    /// </summary>
    /// <param name="options">Where Redis is and how Gamut uses it.</param>
    /// <param name="workerOptions">Queues, concurrency, registry, isolation.</param>
    /// <param name="cancellationToken">Stops the start.</param>
    /// <exception cref="RedisStartupException">Redis is unreachable, refused the credentials or TLS, or is unsafe to use.</exception>
    public static async Task<RedisWorker> StartAsync(RedisOptions options, RedisWorkerOptions workerOptions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workerOptions);
        workerOptions.Validate();
        var deployment = await Deployments.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
        return await StartAsync(deployment, workerOptions, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts working on a multiplexer the caller owns (and disposes after this worker).</summary>
    /// <param name="multiplexer">The connection.</param>
    /// <param name="options">How Gamut uses Redis (its <see cref="RedisOptions.Configuration"/> is ignored).</param>
    /// <param name="workerOptions">Queues, concurrency, registry, isolation.</param>
    /// <param name="cancellationToken">Stops the start.</param>
    public static async Task<RedisWorker> StartAsync(IConnectionMultiplexer multiplexer, RedisOptions options, RedisWorkerOptions workerOptions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workerOptions);
        workerOptions.Validate();
        var connection = await RedisConnection.WrapAsync(multiplexer, options, cancellationToken).ConfigureAwait(false);
        return await StartAsync(new SingleDeployment(connection), workerOptions, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs a worker until <paramref name="stoppingToken"/> is cancelled, then stops it gracefully.</summary>
    /// <param name="options">Where Redis is and how Gamut uses it.</param>
    /// <param name="workerOptions">Queues, concurrency, registry, isolation.</param>
    /// <param name="stoppingToken">Asks the worker to stop (e.g. on SIGTERM).</param>
    public static async Task RunAsync(RedisOptions options, RedisWorkerOptions workerOptions, CancellationToken stoppingToken)
    {
        await using var worker = await StartAsync(options, workerOptions, stoppingToken).ConfigureAwait(false);
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await worker.StopAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops gracefully: no more jobs are taken; running ones get <see cref="RedisWorkerOptions.ShutdownTimeout"/>
    /// to finish, then are cancelled and handed back to their queue; outcomes are recorded; the worker leaves.
    /// </summary>
    /// <param name="cancellationToken">Cuts the wait short (running jobs are then handed back at once).</param>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        lock (_leaving)
        {
            _stopping ??= StopCoreAsync(cancellationToken);
            return _stopping;
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _runner.DisposeAsync().ConfigureAwait(false);
        await _deployment.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task<RedisWorker> StartAsync(IRedisDeployment deployment, RedisWorkerOptions options, CancellationToken cancellationToken)
    {
        var worker = new RedisWorker(deployment, options);
        try
        {
            await worker.BeginAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await worker.StopAsync(CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await worker._runner.DisposeAsync().ConfigureAwait(false);
            await deployment.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        worker._gauge = RedisQueueGauge.Track(worker.ServedConnections, options.Queues);
        return worker;
    }

    private async Task BeginAsync(CancellationToken cancellationToken)
    {
        if (_deployment.Ring is not { } ring)
        {
            // One Redis: start on it or fail, as before.
            await StartPartAsync(_deployment.Instances[0], cancellationToken).ConfigureAwait(false);
            if (_options.KeepSchedules)
            {
                _keeper = new ScheduleKeeper(_deployment.Instances[0], _options.Queues);
            }

            return;
        }

        ring.TopologyChanged += _ => Nudge();
        ring.LivenessChanged += (_, _) => Nudge();
        await SyncAsync(cancellationToken).ConfigureAwait(false);
        lock (_parts)
        {
            if (_parts.Count == 0)
            {
                throw new RedisStartupException(RedisStartupProblem.Unreachable, $"The worker could not start on any instance of the ring ({string.Join(", ", ring.Topology.Served)})");
            }
        }

        _follow = Task.Run(FollowLoopAsync, CancellationToken.None);
    }

    /// <summary>Follows the ring: starts serving members that joined or came back, stops serving those that left.</summary>
    private async Task FollowLoopAsync()
    {
        var stop = _stop.Token;
        var interval = _deployment.Options.Ring.HealthInterval;
        var lastPrune = Environment.TickCount64;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await _nudge.WaitAsync(interval, stop).ConfigureAwait(false);
                await SyncAsync(stop).ConfigureAwait(false);
                if (Environment.TickCount64 - lastPrune > 30_000)
                {
                    lastPrune = Environment.TickCount64;
                    await PruneAsync(stop).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Drops the pending-index entries of jobs that ended on the members served (removals that went astray).</summary>
    private async Task PruneAsync(CancellationToken cancellationToken)
    {
        RedisConnection[] served;
        lock (_parts)
        {
            served = [.. _parts.Keys.Where(c => c.IsLive)];
        }

        foreach (var c in served)
        {
            try
            {
                await _deployment.Ring!.Pending.PruneAsync(c, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (RedisFailures.IsTransient(e) || e is RedisException)
            {
                _log.LogDebug(e, "Pruning the pending index of {Instance} failed; trying again later", c.Name);
            }
        }
    }

    private async Task SyncAsync(CancellationToken cancellationToken)
    {
        await _changing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var served = _deployment.Instances;
            foreach (var c in served)
            {
                bool known;
                lock (_parts)
                {
                    known = _parts.ContainsKey(c);
                }

                if (!known && c.IsLive && !cancellationToken.IsCancellationRequested)
                {
                    try
                    {
                        await StartPartAsync(c, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception e) when (RedisFailures.IsTransient(e) || e is RedisException)
                    {
                        _log.LogDebug(e, "Worker {Worker} could not start on {Instance} yet", Id, c.Name);
                    }
                }
            }

            lock (_parts)
            {
                foreach (var (c, part) in _parts.Where(p => !served.Contains(p.Key)).ToList())
                {
                    _parts.Remove(c);
                    _log.LogInformation("Worker {Worker} stops serving {Instance}: it left the ring", Id, c.Name);
                    _leaving.Add(RetireAsync(part.Worker, part.Remover, CancellationToken.None));
                }
            }
        }
        finally
        {
            _changing.Release();
        }
    }

    private async Task StartPartAsync(RedisConnection c, CancellationToken cancellationToken)
    {
        var remover = _deployment.Ring is { } ring ? new PendingRemover(ring, c.Member!) : null;
        var worker = new InstanceWorker(c, _options, Id, _runner, _slots, remover is null ? null : remover.Add);
        try
        {
            await worker.BeginAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await worker.StopAsync(CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (remover is not null)
            {
                await remover.DrainAsync().ConfigureAwait(false);
            }

            throw;
        }

        lock (_parts)
        {
            _parts[c] = (worker, remover);
        }
    }

    private async Task RetireAsync(InstanceWorker worker, PendingRemover? remover, CancellationToken cancellationToken)
    {
        await worker.StopAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (remover is not null)
        {
            await remover.DrainAsync().ConfigureAwait(false);
        }

        lock (_parts)
        {
            _retired = Add(_retired, worker.Counters);
        }
    }

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        _gauge?.Stop();
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_keeper is { } keeper)
        {
            await keeper.DisposeAsync().ConfigureAwait(false);
        }

        await _follow.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _changing.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        List<Task> stops;
        lock (_parts)
        {
            stops = [.. _parts.Values.Select(p => RetireAsync(p.Worker, p.Remover, cancellationToken)), .. _leaving];
            _parts.Clear();
        }

        await Task.WhenAll(stops).ConfigureAwait(false);
    }

    private void Nudge()
    {
        try
        {
            if (_nudge.CurrentCount == 0)
            {
                _nudge.Release();
            }
        }
        catch (SemaphoreFullException)
        {
        }
    }

    private static WorkerCounters Add(WorkerCounters a, WorkerCounters b) => new(
        a.Succeeded + b.Succeeded, a.Failed + b.Failed, a.Retried + b.Retried, a.DeadLettered + b.DeadLettered,
        a.Duplicates + b.Duplicates, a.Cancelled + b.Cancelled, a.HandedBack + b.HandedBack, a.Reaped + b.Reaped);
}
