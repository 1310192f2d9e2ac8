using System.Collections.Concurrent;
using Gamut.Redis.Connection;
using Gamut.Redis.Keys;
using Gamut.Redis.Scripts;
using Gamut.Redis.Worker;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gamut.Redis;

/// <summary>
/// A worker: takes jobs from one or more Redis queues (highest priority first), runs them on a local executor
/// with at most <see cref="RedisWorkerOptions.Concurrency"/> at once, records their outcomes, proves it is alive
/// with heartbeats, and returns the jobs of dead workers to their queues. Stop it with <see cref="StopAsync"/>
/// (or by cancelling the token given to <see cref="RunAsync"/>): it stops taking, lets running jobs finish within
/// <see cref="RedisWorkerOptions.ShutdownTimeout"/>, and hands back the rest.
/// <code>
/// var registry = new JobRegistry().AddAssembly(typeof(CircleArea).Assembly);
/// await RedisWorker.RunAsync(RedisOptions.FromUrl("redis://127.0.0.1:6379"), new RedisWorkerOptions { Registry = registry }, stoppingToken);
/// </code>
/// </summary>
public sealed partial class RedisWorker : IAsyncDisposable
{
    private readonly RedisConnection _connection;
    private readonly bool _ownsConnection;
    private readonly RedisWorkerOptions _options;
    private readonly QueueKeys[] _queues;
    private readonly IJobRunner _runner;
    private readonly CompletionSink _sink;
    private readonly ConcurrentDictionary<(string Queue, string Id), TakenJob> _running = new();

    // Every entry of our in-flight lists that this process holds, from take until Redis has its outcome.
    private readonly ConcurrentDictionary<(string Queue, string Entry), byte> _held = new();
    private readonly SemaphoreSlim _slotFreed = new(0, 1);
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stopTaking = new();
    private readonly CancellationTokenSource _stopAll = new();
    private readonly ILogger _log;
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;
    private int _runningCount;
    private int _recording;
    private volatile bool _taking;
    private long _succeeded, _failed, _retried, _dead, _duplicates, _cancelled, _handedBack, _reaped;
    private Task _pull = Task.CompletedTask;
    private Task _maintenance = Task.CompletedTask;
    private Task? _stopping;
    private ChannelMessageQueue? _control;
    private readonly List<ChannelMessageQueue> _wakeSubscriptions = [];

    private RedisWorker(RedisConnection connection, bool owns, RedisWorkerOptions options)
    {
        _connection = connection;
        _ownsConnection = owns;
        _options = options;
        _log = connection.Logger;
        Id = options.WorkerId ?? $"{Sanitize(Environment.MachineName)}-{Environment.ProcessId}-{Random.Shared.Next(0x10000):x4}";
        _queues = [.. options.Queues.Select(connection.Queue)];
        _runner = options.Isolation switch
        {
            WorkerIsolation.Threads => new ThreadsJobRunner(options.Concurrency, options.Registry, options.Serializer),
            _ => new ProcessesJobRunner(options.Concurrency, options.Registry, options.Serializer, connection.Logger),
        };
        _sink = new CompletionSink(connection, Id);
        _sink.Recorded += OnRecorded;
    }

    /// <summary>The worker's id, as <c>gamut status</c> shows it.</summary>
    public string Id { get; }

    /// <summary>The queues served, highest priority first.</summary>
    public IReadOnlyList<string> Queues => _options.Queues;

    /// <summary>Jobs running now.</summary>
    public int RunningJobs => Volatile.Read(ref _runningCount);

    /// <summary>What the worker has done so far.</summary>
    public WorkerCounters Counters => new(
        Interlocked.Read(ref _succeeded), Interlocked.Read(ref _failed), Interlocked.Read(ref _retried), Interlocked.Read(ref _dead),
        Interlocked.Read(ref _duplicates), Interlocked.Read(ref _cancelled), Interlocked.Read(ref _handedBack), Interlocked.Read(ref _reaped));

    /// <summary>Ends when the worker has stopped (after <see cref="StopAsync"/>).</summary>
    public Task Completion => _stopping ?? Task.WhenAll(_pull, _maintenance);

    /// <summary>Connects, checks the server, and starts working.</summary>
    /// <param name="options">Where Redis is and how Gamut uses it.</param>
    /// <param name="workerOptions">Queues, concurrency, registry, isolation.</param>
    /// <param name="cancellationToken">Stops the start.</param>
    /// <exception cref="RedisStartupException">Redis is unreachable, refused the credentials or TLS, or is unsafe to use.</exception>
    public static async Task<RedisWorker> StartAsync(RedisOptions options, RedisWorkerOptions workerOptions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workerOptions);
        workerOptions.Validate();
        var connection = await RedisConnection.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
        return await StartAsync(connection, true, workerOptions, cancellationToken).ConfigureAwait(false);
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
        return await StartAsync(connection, false, workerOptions, cancellationToken).ConfigureAwait(false);
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

    private static async Task<RedisWorker> StartAsync(RedisConnection connection, bool owns, RedisWorkerOptions options, CancellationToken cancellationToken)
    {
        var worker = new RedisWorker(connection, owns, options);
        try
        {
            await worker.BeginAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await worker._runner.DisposeAsync().ConfigureAwait(false);
            if (owns)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        return worker;
    }

    private async Task BeginAsync(CancellationToken cancellationToken)
    {
        var sub = _connection.Subscriber;
        _control = await sub.SubscribeAsync(_connection.Global.Control(Id)).WaitAsync(cancellationToken).ConfigureAwait(false);
        _control.OnMessage(m => OnControl((string?)m.Message));
        foreach (var q in _queues)
        {
            var wake = await sub.SubscribeAsync(q.WakeChannel).WaitAsync(cancellationToken).ConfigureAwait(false);
            wake.OnMessage(_ => Signal(_wake));
            _wakeSubscriptions.Add(wake);
        }

        _connection.Multiplexer.ConnectionRestored += OnRestored;
        await BeatAsync(cancellationToken).ConfigureAwait(false);
        _pull = Task.Run(PullLoopAsync, CancellationToken.None);
        _maintenance = Task.Run(MaintenanceLoopAsync, CancellationToken.None);
        _log.LogInformation("Worker {Worker} serves {Queues} with {Concurrency} slots", Id, string.Join(",", _options.Queues), _options.Concurrency);
    }

    /// <summary>
    /// Stops gracefully: no more jobs are taken; running ones get <see cref="RedisWorkerOptions.ShutdownTimeout"/>
    /// to finish, then are cancelled and handed back to their queue; outcomes are recorded; the worker leaves.
    /// </summary>
    /// <param name="cancellationToken">Cuts the wait short (running jobs are then handed back at once).</param>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        lock (_running)
        {
            _stopping ??= StopCoreAsync(cancellationToken);
            return _stopping;
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _connection.Multiplexer.ConnectionRestored -= OnRestored;
        await _runner.DisposeAsync().ConfigureAwait(false);
        if (_ownsConnection)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task PullLoopAsync()
    {
        var stop = _stopTaking.Token;
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            // Outcomes waiting to be recorded are bounded too, so a slow Redis slows taking instead of piling up memory.
            var free = Math.Min(
                _options.Concurrency - Volatile.Read(ref _runningCount),
                (_options.Concurrency * 4) - Volatile.Read(ref _recording));
            if (free <= 0 || CrashPoints.Pending)
            {
                await WaitAsync(_slotFreed, CrashPoints.Pending ? TimeSpan.FromMilliseconds(50) : Timeout.InfiniteTimeSpan, stop).ConfigureAwait(false);
                continue;
            }

            var took = 0;
            long? nextDue = null;
            _taking = true;
            try
            {
                foreach (var q in _queues)
                {
                    if (took >= free || stop.IsCancellationRequested)
                    {
                        break;
                    }

                    var (jobs, due) = await TakeAsync(q, Math.Min(free - took, _options.MaxBatch)).ConfigureAwait(false);
                    took += jobs.Count;
                    if (due is { } d && (nextDue is null || d < nextDue))
                    {
                        nextDue = d;
                    }

                    foreach (var job in jobs)
                    {
                        _held[(q.Queue, job.EntryKey)] = 0;
                        Start(job);
                    }
                }

                failures = 0;
                _taking = false;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                // Redis is away (or a key has the wrong type): keep the worker alive and try again with backoff.
                _taking = false;
                failures++;
                if (failures is 1 or 10 or 100)
                {
                    _log.LogWarning(e, "Worker {Worker}: taking jobs failed ({Failures} times in a row); retrying", Id, failures);
                }

                await WaitAsync(_wake, TimeSpan.FromMilliseconds(Math.Min(2000, 50 * failures * failures)), stop).ConfigureAwait(false);
                continue;
            }

            if (took == 0)
            {
                var wait = _options.PollInterval;
                if (nextDue is { } due)
                {
                    var untilDue = TimeSpan.FromMilliseconds(Math.Max(1, due - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
                    wait = untilDue < wait ? untilDue : wait;
                }

                await WaitAsync(_wake, wait, stop).ConfigureAwait(false);
            }
        }
    }

    private async Task<(List<TakenJob> Jobs, long? NextDue)> TakeAsync(QueueKeys q, int count)
    {
        var o = _connection.Options;
        var result = (RedisResult[])(await _connection.Database.ScriptEvaluateAsync(
            LuaScripts.Take,
            [q.Ready, q.Delayed, q.Active(Id), q.Stats, q.Dead],
            [q.JobPrefix, Id, count, o.MaxPayloadBytes, o.DeadLetterMax, (long)o.FailedTtl.TotalMilliseconds, q.Queue]).ConfigureAwait(false))!;
        var rows = (RedisResult[])result[0]!;
        var jobs = new List<TakenJob>(rows.Length);
        foreach (var row in rows)
        {
            jobs.Add(TakenJob.From(q, (RedisResult[])row!));
        }

        var dueText = (string?)result[1];
        long? nextDue = long.TryParse(dueText, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var ms) ? ms : null;
        return (jobs, nextDue);
    }

    private static async Task WaitAsync(SemaphoreSlim signal, TimeSpan timeout, CancellationToken stop)
    {
        try
        {
            await signal.WaitAsync(timeout, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private static void Signal(SemaphoreSlim signal)
    {
        try
        {
            if (signal.CurrentCount == 0)
            {
                signal.Release();
            }
        }
        catch (SemaphoreFullException)
        {
        }
    }

    private void OnRestored(object? sender, ConnectionFailedEventArgs e) => Signal(_wake);

    private void OnControl(string? message)
    {
        // "cancel <queue> <id>"
        var parts = message?.Split(' ');
        if (parts is ["cancel", var queue, var id])
        {
            CancelRunning(queue, id);
        }
    }

    private void CancelRunning(string queue, string id)
    {
        if (_running.TryGetValue((queue, id), out var job))
        {
            job.CancelRequested = true;
            job.Cancel.Cancel();
        }
    }

    private void OnRecorded(Worker.Completion completion, string verdict)
    {
        if (verdict == "duplicate")
        {
            Interlocked.Increment(ref _duplicates);
            _log.LogWarning("Worker {Worker}: the outcome of job {Job} was rejected: the job had passed to another worker or ended (a duplicate run)", Id, completion.Job.Id);
            return;
        }

        if (verdict != "ok")
        {
            return;
        }

        _ = completion.Kind switch
        {
            "ok" => Interlocked.Increment(ref _succeeded),
            "retry" => RetryScheduled(),
            "fail" => Interlocked.Increment(ref _failed),
            "dead" => Interlocked.Increment(ref _dead),
            "cancel" => Interlocked.Increment(ref _cancelled),
            "back" => Interlocked.Increment(ref _handedBack),
            _ => 0,
        };
    }

    private long RetryScheduled()
    {
        // The retry sits in the schedule now: look again, to learn when it is due.
        Signal(_wake);
        return Interlocked.Increment(ref _retried);
    }

    private static string Sanitize(string s)
    {
        var chars = s.Where(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-').Take(40).ToArray();
        return chars.Length == 0 ? "host" : new string(chars);
    }
}
