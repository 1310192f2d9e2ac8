using System.Collections.Concurrent;
using Gamut.Redis.Connection;
using Gamut.Redis.Keys;
using Gamut.Redis.Scripts;
using Gamut.Redis.Worker;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gamut.Redis;

/// <summary>
/// The part of a <see cref="RedisWorker"/> that serves one Redis (one instance, or one member of a ring): takes jobs
/// from its queues (highest priority first) within the worker's shared slots, records their outcomes, proves the
/// worker is alive there with heartbeats, and returns the jobs of dead workers to their queues.
/// </summary>
internal sealed partial class InstanceWorker
{
    private readonly RedisConnection _connection;
    private readonly RedisWorkerOptions _options;
    private readonly QueueKeys[] _queues;
    private readonly IJobRunner _runner;
    private readonly WorkerSlots _slots;
    private readonly CompletionSink _sink;
    private readonly Action<string>? _ended;
    private readonly ConcurrentDictionary<(string Queue, string Id), TakenJob> _running = new();

    // Every entry of our in-flight lists that this process holds, from take until Redis has its outcome.
    private readonly ConcurrentDictionary<(string Queue, string Entry), byte> _held = new();
    private readonly SemaphoreSlim _slotFreed = new(0, 1);
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stopTaking = new();
    private readonly CancellationTokenSource _stopAll = new();
    private readonly ILogger _log;
    private readonly BrokenQueues _brokenQueues;
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

    /// <param name="connection">The Redis served.</param>
    /// <param name="options">The worker's options.</param>
    /// <param name="id">The worker's id (the same on every instance it serves).</param>
    /// <param name="runner">Where jobs run (shared by every instance the worker serves).</param>
    /// <param name="slots">The worker's job slots (shared likewise).</param>
    /// <param name="ended">Told <c>queue id</c> of every job whose end this instance acknowledged (a ring's pending index).</param>
    public InstanceWorker(RedisConnection connection, RedisWorkerOptions options, string id, IJobRunner runner, WorkerSlots slots, Action<string>? ended)
    {
        _connection = connection;
        _options = options;
        _log = connection.Logger;
        _brokenQueues = new BrokenQueues(_log, id, connection.Name);
        Id = id;
        _queues = [.. options.Queues.Select(connection.Queue)];
        _runner = runner;
        _slots = slots;
        _ended = ended;
        _slots.Register(_slotFreed);
        _sink = new CompletionSink(connection, Id);
        _sink.Recorded += OnRecorded;
    }

    public string Id { get; }

    public RedisConnection Connection => _connection;

    public int RunningJobs => Volatile.Read(ref _runningCount);

    public WorkerCounters Counters => new(
        Interlocked.Read(ref _succeeded), Interlocked.Read(ref _failed), Interlocked.Read(ref _retried), Interlocked.Read(ref _dead),
        Interlocked.Read(ref _duplicates), Interlocked.Read(ref _cancelled), Interlocked.Read(ref _handedBack), Interlocked.Read(ref _reaped));

    public Task Completion => _stopping ?? Task.WhenAll(_pull, _maintenance);

    public async Task BeginAsync(CancellationToken cancellationToken)
    {
        // The keys every worker writes at once (gamut status lists workers and queues from them): one of the wrong
        // type is refused here, naming it, before this worker writes anything.
        var g = _connection.Global;
        if (await KeyTypes.FindAsync(_connection.Database, [(g.Workers, "zset"), (g.Queues, "set")], null, cancellationToken).ConfigureAwait(false) is { } wrongType)
        {
            throw wrongType;
        }

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
        _log.LogInformation("Worker {Worker} serves {Queues} on {Instance} with {Concurrency} slots", Id, string.Join(",", _options.Queues), _connection.Name, _options.Concurrency);
    }

    /// <summary>
    /// Stops gracefully: no more jobs are taken; running ones get <see cref="RedisWorkerOptions.ShutdownTimeout"/>
    /// to finish, then are cancelled and handed back to their queue; outcomes are recorded; the worker leaves.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_running)
        {
            _stopping ??= StopCoreAsync(cancellationToken);
            return _stopping;
        }
    }

    private async Task PullLoopAsync()
    {
        var stop = _stopTaking.Token;
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            // Outcomes waiting to be recorded are bounded too, so a slow Redis slows taking instead of piling up memory.
            var free = _slots.Free;
            if (free <= 0 || CrashPoints.Pending)
            {
                await WaitAsync(_slotFreed, CrashPoints.Pending ? TimeSpan.FromMilliseconds(50) : Timeout.InfiniteTimeSpan, stop).ConfigureAwait(false);
                continue;
            }

            var took = 0;
            long? nextDue = null;
            QueueKeys? current = null;
            _taking = true;
            try
            {
                foreach (var q in _queues)
                {
                    if (took >= free || stop.IsCancellationRequested)
                    {
                        break;
                    }

                    current = q;
                    List<TakenJob> jobs;
                    long? due;
                    try
                    {
                        (jobs, due) = await TakeAsync(q, Math.Min(free - took, _options.MaxBatch)).ConfigureAwait(false);
                        _brokenQueues.Healed(q.Queue);
                    }
                    catch (RedisServerException e) when (RedisKeyTypeException.From(e) is { } wrongType)
                    {
                        // One queue's key of the wrong type (another client wrote it): nothing was taken from it
                        // (the script checks before its first write); skip it and serve the others.
                        _brokenQueues.Broken(q.Queue, wrongType);
                        continue;
                    }

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
                    _log.LogWarning(e, "Worker {Worker}: taking jobs from queue {Queue} on {Instance} failed ({Failures} times in a row): {Reason}; retrying", Id, current?.Queue, _connection.Name, failures, e.Message);
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
        await _connection.WhenWritableAsync(CancellationToken.None).ConfigureAwait(false);
        var result = (RedisResult[])(await _connection.Database.ScriptEvaluateAsync(
            LuaScripts.Take,
            [q.Ready, q.Delayed, q.Active(Id), q.Stats, q.Dead, q.Paused, q.RateLimit, q.RateLog],
            [q.JobPrefix, Id, count, o.MaxPayloadBytes, o.DeadLetterMax, (long)o.FailedTtl.TotalMilliseconds, q.Queue]).ConfigureAwait(false))!;
        var rows = (RedisResult[])result[0]!;
        var jobs = new List<TakenJob>(rows.Length);
        foreach (var row in rows)
        {
            jobs.Add(TakenJob.From(q, (RedisResult[])row!));
        }

        var dueText = (string?)result[1];
        long? nextDue = long.TryParse(dueText, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var ms) ? ms : null;
        // The queue's rate limit refused more: the script says in how many ms the next start is allowed (relative, so
        // clock skew between this machine and Redis cannot turn the wait into a busy loop).
        if (result.Length > 2 && long.TryParse((string?)result[2], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var rateWait))
        {
            var allowed = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + rateWait;
            nextDue = nextDue is { } d && d < allowed ? d : allowed;
        }

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

        if (verdict is "ok" or "already" && completion.Kind is "ok" or "fail" or "dead" or "cancel")
        {
            _ended?.Invoke(Ring.PendingIndex.Entry(completion.Job.Queue.Queue, completion.Job.Id));
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

    internal static string Sanitize(string s)
    {
        var chars = s.Where(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-').Take(40).ToArray();
        return chars.Length == 0 ? "host" : new string(chars);
    }
}
