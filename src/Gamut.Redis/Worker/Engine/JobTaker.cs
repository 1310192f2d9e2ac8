using System.Globalization;
using Gamut.Redis.Connection;
using Gamut.Redis.Keys;
using Gamut.Redis.Scripts;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gamut.Redis.Worker.Engine;

/// <summary>
/// Takes jobs from one instance's queues, highest priority first, as many as the worker's shared slots allow, and
/// hands each to <c>start</c>. Idle, it waits for a wake-up (a queue's wake channel, a freed slot, a retry that needs
/// scheduling), the next delayed job, or the poll interval; with Redis away it backs off and keeps trying.
/// </summary>
internal sealed class JobTaker
{
    private readonly RedisConnection _connection;
    private readonly RedisWorkerOptions _options;
    private readonly string _workerId;
    private readonly QueueKeys[] _queues;
    private readonly WorkerSlots _slots;
    private readonly HeldJobs _held;
    private readonly BrokenQueues _broken;
    private readonly Action<TakenJob> _start;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private volatile bool _taking;

    public JobTaker(RedisConnection connection, RedisWorkerOptions options, string workerId, QueueKeys[] queues, WorkerSlots slots, HeldJobs held, BrokenQueues broken, Action<TakenJob> start)
    {
        _connection = connection;
        _options = options;
        _workerId = workerId;
        _queues = queues;
        _slots = slots;
        _held = held;
        _broken = broken;
        _start = start;
    }

    /// <summary>Set by the worker's slots whenever a slot frees (on any instance the worker serves).</summary>
    public SemaphoreSlim SlotFreed { get; } = new(0, 1);

    /// <summary>
    /// Tests only: runs after the primary gate let a take through and before it is sent (where a reconnection can
    /// land in a real run), so a test can bring an old primary back there.
    /// </summary>
    internal Func<Task>? AfterGateForTests { get; set; }

    /// <summary>Whether a take is in flight (a crash point waits until none is).</summary>
    public bool IsTaking => _taking;

    /// <summary>Looks at the queues again now.</summary>
    public void Wake() => Signals.Set(_wake);

    /// <summary>Takes and starts jobs until <paramref name="stop"/>.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            // Outcomes waiting to be recorded are bounded too, so a slow Redis slows taking instead of piling up memory.
            var free = _slots.Free;
            if (free <= 0 || CrashPoints.Pending)
            {
                await Signals.WaitAsync(SlotFreed, CrashPoints.Pending ? TimeSpan.FromMilliseconds(50) : Timeout.InfiniteTimeSpan, stop).ConfigureAwait(false);
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
                        _broken.Healed(q.Queue);
                    }
                    catch (RedisServerException e) when (RedisKeyTypeException.From(e) is { } wrongType)
                    {
                        // One queue's key of the wrong type (another client wrote it): nothing was taken from it
                        // (the script checks before its first write); skip it and serve the others.
                        _broken.Broken(q.Queue, wrongType);
                        continue;
                    }

                    took += jobs.Count;
                    if (due is { } d && (nextDue is null || d < nextDue))
                    {
                        nextDue = d;
                    }

                    foreach (var job in jobs)
                    {
                        _held.Hold(q.Queue, job.EntryKey);
                        _start(job);
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
                    _connection.Logger.LogWarning(e, "Worker {Worker}: taking jobs from queue {Queue} on {Instance} failed ({Failures} times in a row): {Reason}; retrying", _workerId, current?.Queue, _connection.Name, failures, e.Message);
                }

                await Signals.WaitAsync(_wake, TimeSpan.FromMilliseconds(Math.Min(2000, 50 * failures * failures)), stop).ConfigureAwait(false);
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

                await Signals.WaitAsync(_wake, wait, stop).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// One take script call on a queue: up to <paramref name="count"/> jobs moved to our in-flight list and marked
    /// running, and when the next delayed job (or the next start the queue's rate limit allows) is due, in Unix ms.
    /// </summary>
    public async Task<(List<TakenJob> Jobs, long? NextDue)> TakeAsync(QueueKeys q, int count)
    {
        var o = _connection.Options;
        await _connection.WhenWritableAsync(CancellationToken.None).ConfigureAwait(false);
        var epoch = _connection.PrimaryGate?.Epoch ?? 0;
        if (AfterGateForTests is { } hook)
        {
            await hook().ConfigureAwait(false);
        }

        var result = (RedisResult[])(await _connection.Database.ScriptEvaluateAsync(
            LuaScripts.Take,
            [q.Ready, q.Delayed, q.Active(_workerId), q.Stats, q.Dead, q.Paused, q.RateLimit, q.RateLog],
            [q.JobPrefix, _workerId, count, o.MaxPayloadBytes, o.DeadLetterMax, (long)o.FailedTtl.TotalMilliseconds, q.Queue]).ConfigureAwait(false))!;
        var rows = (RedisResult[])result[0]!;
        var jobs = new List<TakenJob>(rows.Length);
        foreach (var row in rows)
        {
            jobs.Add(TakenJob.From(q, (RedisResult[])row!));
        }

        if (_connection.PrimaryGate?.Doubtful(epoch) == true)
        {
            // The check before the take and the client's choice of server are two steps: an old primary that came
            // back meanwhile may have answered. Only what the confirmed primary shows as ours is run.
            jobs = await DoubtfulTake.KeepConfirmedAsync(_connection, _workerId, q, jobs, _held).ConfigureAwait(false);
        }

        var dueText = (string?)result[1];
        long? nextDue = long.TryParse(dueText, NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) ? ms : null;
        // The queue's rate limit refused more: the script says in how many ms the next start is allowed (relative, so
        // clock skew between this machine and Redis cannot turn the wait into a busy loop).
        if (result.Length > 2 && long.TryParse((string?)result[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var rateWait))
        {
            var allowed = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + rateWait;
            nextDue = nextDue is { } d && d < allowed ? d : allowed;
        }

        return (jobs, nextDue);
    }
}
