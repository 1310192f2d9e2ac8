using System.Collections.Concurrent;
using Gamut.Redis.Connection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gamut.Redis;

/// <summary>
/// The jobs a client waits for, and its reply channel. PUB/SUB is at-most-once, so a waiter never relies on the
/// message alone: after every (re)subscription, and every check interval, the records of the jobs still awaited
/// are re-read; a record that is gone ends its waiter with <see cref="JobLostException"/> instead of a hang.
/// </summary>
internal sealed class ResultWaiters : IAsyncDisposable
{
    private readonly IRedisDeployment _deployment;
    private readonly ConcurrentDictionary<JobHandle, Waiter> _waiters = new();
    private readonly TimeSpan _checkInterval;
    private readonly CancellationTokenSource _stop = new();
    private readonly RedisChannel _channel;
    private readonly HashSet<RedisConnection> _listening = [];
    private Task? _checker;

    public ResultWaiters(IRedisDeployment deployment, string clientId, TimeSpan checkInterval)
    {
        _deployment = deployment;
        _checkInterval = checkInterval;
        ChannelName = deployment.Global.ReplyChannel(clientId);
        _channel = RedisChannel.Literal(ChannelName);
    }

    public string ChannelName { get; }

    public int Count => _waiters.Count;

    public event Action<JobHandle, string>? Progress;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // A job's completion is published on the instance that holds it: listen on every one (a ring's too).
        _deployment.InstanceAdded += OnInstanceAdded;
        foreach (var c in _deployment.Instances)
        {
            await ListenAsync(c, cancellationToken).ConfigureAwait(false);
        }

        _checker = Task.Run(CheckLoopAsync, CancellationToken.None);
    }

    private async Task ListenAsync(RedisConnection c, CancellationToken cancellationToken)
    {
        lock (_listening)
        {
            if (!_listening.Add(c))
            {
                return;
            }
        }

        c.Multiplexer.ConnectionRestored += OnRestored;
        try
        {
            await c.Subscriber.SubscribeAsync(_channel, OnMessage).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (_deployment.Ring is not null && e is RedisException or TimeoutException)
        {
            // A ring member that is down: the client subscribes again by itself when it reconnects, and the
            // records of awaited jobs are re-read after that (OnRestored).
            _deployment.Logger.LogDebug(e, "Listening on {Instance} failed for now", c.Name);
        }
    }

    private void OnInstanceAdded(RedisConnection c) => _ = ListenAsync(c, _stop.Token);

    /// <summary>Registers interest in a job; two callers waiting for the same job share one waiter.</summary>
    public Waiter Register(JobHandle job)
    {
        lock (_waiters)
        {
            var waiter = _waiters.GetOrAdd(job, static j => new Waiter(j));
            waiter.Users++;
            return waiter;
        }
    }

    public void Remove(Waiter waiter)
    {
        lock (_waiters)
        {
            if (--waiter.Users == 0)
            {
                _waiters.TryRemove(new KeyValuePair<JobHandle, Waiter>(waiter.Job, waiter));
            }
        }
    }

    public IReadOnlyCollection<Waiter> All => [.. _waiters.Values];

    public Waiter? Find(JobHandle job) => _waiters.GetValueOrDefault(job);

    public async ValueTask DisposeAsync()
    {
        _deployment.InstanceAdded -= OnInstanceAdded;
        RedisConnection[] listening;
        lock (_listening)
        {
            listening = [.. _listening];
        }

        foreach (var c in listening)
        {
            c.Multiplexer.ConnectionRestored -= OnRestored;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_checker is not null)
        {
            await _checker.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        foreach (var c in listening)
        {
            try
            {
                await c.Subscriber.UnsubscribeAsync(_channel).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisException or ObjectDisposedException or TimeoutException)
            {
                // Closing anyway.
            }
        }

        _stop.Dispose();
    }

    private void OnMessage(RedisChannel channel, RedisValue message)
    {
        if (!Reply.TryParse((byte[])message!, out var kind, out var job, out var body))
        {
            return;
        }

        if (kind == "progress")
        {
            Progress?.Invoke(job, System.Text.Encoding.UTF8.GetString(body.Span));
            return;
        }

        if (_waiters.TryGetValue(job, out var waiter))
        {
            waiter.Completion.TrySetResult(new Reply(kind, body));
        }
    }

    private void OnRestored(object? sender, ConnectionFailedEventArgs e)
    {
        // The subscription is restored by the client; a message published while it was down is gone. Read the
        // records now, and again shortly, in case the resubscription lands after the first read.
        _ = Task.Run(async () =>
        {
            await RecheckAsync(All, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await Task.Delay(500, _stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await RecheckAsync(All, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        });
    }

    private async Task CheckLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_checkInterval, _stop.Token).ConfigureAwait(false);
                var due = Environment.TickCount64 - (long)_checkInterval.TotalMilliseconds;
                await RecheckAsync([.. _waiters.Values.Where(w => w.RegisteredAt <= due)], _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                _deployment.Logger.LogDebug(e, "Re-reading awaited jobs failed; trying again in {Interval}", _checkInterval);
            }
        }
    }

    /// <summary>Jobs awaited here that were lost because their ring instance was removed at once, by instance.</summary>
    public IReadOnlyDictionary<string, int> LostWithRemovedInstances
    {
        get
        {
            lock (_lostWithRemoved)
            {
                return new Dictionary<string, int>(_lostWithRemoved, StringComparer.Ordinal);
            }
        }
    }

    private readonly Dictionary<string, int> _lostWithRemoved = new(StringComparer.Ordinal);

    /// <summary>Re-reads the records of <paramref name="waiters"/> and ends those whose job has ended or vanished.</summary>
    public async Task RecheckAsync(IReadOnlyCollection<Waiter> waiters, CancellationToken cancellationToken)
    {
        // A ring member that does not answer holds its jobs until it returns: they are pending, not lost.
        var ring = _deployment.Ring is not null;
        foreach (var group in waiters.Where(w => w.Connection is { } c && (!ring || c.IsLive)).GroupBy(w => w.Connection!))
        {
            await RecheckOnAsync(group.Key, [.. group], cancellationToken).ConfigureAwait(false);
        }

        if (_deployment.Ring is { } r)
        {
            SettleRemoved(r.Topology, waiters);
        }
    }

    /// <summary>
    /// A job on an instance that left the ring at once (<c>gamut ring remove --now</c>) will not run: no worker serves
    /// a non-member. Its waiter ends with <see cref="JobLostException"/> naming the instance. (An instance that left
    /// by draining held no job when it left; a finished job of one that answers was settled by the read above.)
    /// </summary>
    private void SettleRemoved(Ring.RingTopology topology, IReadOnlyCollection<Waiter> waiters)
    {
        var served = topology.Served.ToHashSet(StringComparer.Ordinal);
        foreach (var w in waiters)
        {
            if (w.Armed && w.Connection is { Member: { } member } && !served.Contains(member)
                && w.Completion.TrySetException(new JobLostException(w.Job.Queue, w.Job.Id, member)))
            {
                lock (_lostWithRemoved)
                {
                    _lostWithRemoved[member] = _lostWithRemoved.GetValueOrDefault(member) + 1;
                }
            }
        }
    }

    private static async Task RecheckOnAsync(RedisConnection connection, Waiter[] waiters, CancellationToken cancellationToken)
    {
        // A read that finds no record concludes the job is lost: it must read the confirmed primary, not an old one
        // restarted empty.
        await connection.WhenWritableAsync(cancellationToken).ConfigureAwait(false);
        var db = connection.Database;
        foreach (var chunk in waiters.Chunk(256))
        {
            var reads = chunk.Select(w => db.HashGetAsync(
                w.Record ?? connection.Queue(w.Job.Queue).Job(w.Job.Id),
                [JobFields.State, JobFields.Result, JobFields.Error])).ToArray();
            await Task.WhenAll(reads).WaitAsync(cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < chunk.Length; i++)
            {
                var values = reads[i].Result;
                var state = (string?)values[0];
                var waiter = chunk[i];
                if (!waiter.Armed)
                {
                    continue;
                }

                if (state is null)
                {
                    waiter.Completion.TrySetException(new JobLostException(waiter.Job.Queue, waiter.Job.Id));
                }
                else if (RedisJobStates.IsFinal(state))
                {
                    var body = state == "succeeded" ? (byte[]?)values[1] : (byte[]?)values[2];
                    waiter.Completion.TrySetResult(new Reply(state, body ?? []));
                }
            }
        }
    }

    internal sealed class Waiter(JobHandle job)
    {
        public JobHandle Job { get; } = job;

        public long RegisteredAt { get; } = Environment.TickCount64;

        public int Users { get; set; }

        /// <summary>The instance that holds the job (set when it is enqueued or found).</summary>
        public volatile RedisConnection? Connection;

        /// <summary>The hash to re-read instead of the job record (a workflow's: its <c>s r e</c> fields mean the same).</summary>
        public RedisKey? Record { get; set; }

        /// <summary>Set once the job's record is known to exist (after its enqueue returned); before that a missing record is normal.</summary>
        public volatile bool Armed;

        public TaskCompletionSource<Reply> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
