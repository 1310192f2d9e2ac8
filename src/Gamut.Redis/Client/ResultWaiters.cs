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
    private readonly RedisConnection _connection;
    private readonly ConcurrentDictionary<JobHandle, Waiter> _waiters = new();
    private readonly TimeSpan _checkInterval;
    private readonly CancellationTokenSource _stop = new();
    private readonly RedisChannel _channel;
    private Task? _checker;

    public ResultWaiters(RedisConnection connection, string clientId, TimeSpan checkInterval)
    {
        _connection = connection;
        _checkInterval = checkInterval;
        ChannelName = connection.Global.ReplyChannel(clientId);
        _channel = RedisChannel.Literal(ChannelName);
    }

    public string ChannelName { get; }

    public int Count => _waiters.Count;

    public event Action<JobHandle, string>? Progress;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _connection.Subscriber.SubscribeAsync(_channel, OnMessage).WaitAsync(cancellationToken).ConfigureAwait(false);
        _connection.Multiplexer.ConnectionRestored += OnRestored;
        _checker = Task.Run(CheckLoopAsync, CancellationToken.None);
    }

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

    public async ValueTask DisposeAsync()
    {
        _connection.Multiplexer.ConnectionRestored -= OnRestored;
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_checker is not null)
        {
            await _checker.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        try
        {
            await _connection.Subscriber.UnsubscribeAsync(_channel).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or ObjectDisposedException)
        {
            // Closing anyway.
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
                _connection.Logger.LogDebug(e, "Re-reading awaited jobs failed; trying again in {Interval}", _checkInterval);
            }
        }
    }

    /// <summary>Re-reads the records of <paramref name="waiters"/> and ends those whose job has ended or vanished.</summary>
    public async Task RecheckAsync(IReadOnlyCollection<Waiter> waiters, CancellationToken cancellationToken)
    {
        var db = _connection.Database;
        foreach (var chunk in waiters.Chunk(256))
        {
            var reads = chunk.Select(w => db.HashGetAsync(
                _connection.Queue(w.Job.Queue).Job(w.Job.Id),
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

        /// <summary>Set once the job's record is known to exist (after its enqueue returned); before that a missing record is normal.</summary>
        public volatile bool Armed;

        public TaskCompletionSource<Reply> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
