using System.Threading.Channels;
using Gamut.Redis.Connection;
using Gamut.Redis.Scripts;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gamut.Redis.Worker;

/// <summary>
/// Records outcomes with the complete script, batching whatever has piled up while the previous call was in
/// flight (one call per queue per batch), and retrying through connection failures: an outcome is never dropped
/// while the worker lives. A lone outcome goes out at once, so a waiting client is not delayed.
/// </summary>
internal sealed class CompletionSink
{
    private const int MaxBatch = 256;
    private readonly Channel<Completion> _channel = Channel.CreateUnbounded<Completion>(new UnboundedChannelOptions { SingleReader = true });
    private readonly RedisConnection _connection;
    private readonly string _workerId;
    private readonly Task _loop;
    private readonly CancellationTokenSource _abandon = new();

    public CompletionSink(RedisConnection connection, string workerId)
    {
        _connection = connection;
        _workerId = workerId;
        _loop = Task.Run(LoopAsync);
    }

    public event Action<Completion, string>? Recorded;

    /// <summary>
    /// Tests only: runs after the primary gate let an outcome through and before it is sent (where a reconnection can
    /// land in a real run), so a test can bring an old primary back there.
    /// </summary>
    internal Func<Task>? AfterGateForTests { get; set; }

    public Task<string> Add(Completion completion)
    {
        if (!_channel.Writer.TryWrite(completion))
        {
            // The worker is past its shutdown drain: the entry stays in the in-flight list for the reaper.
            completion.Verdict.TrySetResult("abandoned");
        }

        return completion.Verdict.Task;
    }

    /// <summary>Stops taking outcomes and waits until the queued ones are recorded, or <paramref name="cancellationToken"/> gives up on them.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        _channel.Writer.TryComplete();
        using var registration = cancellationToken.Register(static s => ((CancellationTokenSource)s!).Cancel(), _abandon);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task LoopAsync()
    {
        var batch = new List<Completion>(MaxBatch);
        var reader = _channel.Reader;
        while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && reader.TryRead(out var c))
            {
                batch.Add(c);
            }

            foreach (var group in batch.GroupBy(c => c.Job.Queue))
            {
                await RecordAsync([.. group]).ConfigureAwait(false);
            }
        }
    }

    private async Task RecordAsync(Completion[] items)
    {
        var q = items[0].Job.Queue;
        var o = _connection.Options;
        var args = new List<RedisValue>(8 + (items.Length * 5))
        {
            q.JobPrefix, _workerId, items.Length, (long)o.ResultTtl.TotalMilliseconds, (long)o.FailedTtl.TotalMilliseconds,
            o.DeadLetterMax, q.Queue, q.WakeChannel.ToString(),
        };
        foreach (var c in items)
        {
            args.Add(c.Job.Id);
            args.Add(c.Job.Fence);
            args.Add(c.Kind);
            args.Add(c.Body);
            args.Add(c.Arg);
        }

        // The optional trailing spans (one per outcome), only when some delivery was traced: an untraced worker's
        // call is what it always was.
        if (items.Any(static c => c.Job.Span is not null))
        {
            foreach (var c in items)
            {
                args.Add(c.Job.Span ?? "");
            }
        }

        RedisKey[] keys = [q.Active(_workerId), q.Ready, q.Delayed, q.Stats, q.Dead, q.Duplicates];
        var values = args.ToArray();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _connection.WhenWritableAsync(CancellationToken.None).ConfigureAwait(false);
                var epoch = _connection.PrimaryGate?.Epoch ?? 0;
                if (AfterGateForTests is { } hook)
                {
                    await hook().ConfigureAwait(false);
                }

                var result = (RedisResult[])(await _connection.Database.ScriptEvaluateAsync(LuaScripts.Complete, keys, values).ConfigureAwait(false))!;
                if (_connection.PrimaryGate?.Doubtful(epoch) == true)
                {
                    // Under Sentinel an old primary that came back meanwhile may have answered (its verdict is about
                    // its own copy, erased by its demotion): the outcomes the confirmed primary has not recorded (it
                    // still shows our running delivery) go again; the others keep their verdict.
                    var again = await Engine.DoubtfulTake.OnPrimaryAsync(_connection, _workerId, q, [.. items.Select(c => c.Job)]).ConfigureAwait(false);
                    if (again.All(a => a))
                    {
                        continue;
                    }

                    if (again.Any(a => a))
                    {
                        await RecordAsync([.. items.Where((_, i) => again[i])]).ConfigureAwait(false);
                        items = [.. items.Where((_, i) => !again[i])];
                        result = [.. result.Where((_, i) => !again[i])];
                    }
                }

                for (var i = 0; i < items.Length; i++)
                {
                    var verdict = (string)result[i]!;
                    Recorded?.Invoke(items[i], verdict);
                    items[i].Verdict.TrySetResult(verdict);
                }

                return;
            }
            catch (Exception e) when ((e is RedisConnectionException or RedisTimeoutException || RedisRefusals.IsTransient(e) || (e is RedisServerException && attempt <= 5)) && !_abandon.IsCancellationRequested)
            {
                // The outcome stays in memory until Redis takes it. Were our heartbeat to lapse meanwhile, the job is
                // reaped and this outcome is later rejected by its fencing token: a counted duplicate, never a lost job.
                var delay = TimeSpan.FromMilliseconds(Math.Min(2000, 50 * attempt * attempt));
                if (attempt is 1 or 10 or 100)
                {
                    _connection.Logger.LogWarning(e, "Recording {Count} job outcomes failed (attempt {Attempt}); retrying", items.Length, attempt);
                }

                try
                {
                    await Task.Delay(delay, _abandon.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                _connection.Logger.LogError(e, "Redis refused to record {Count} job outcomes on queue {Queue}; they stay in the in-flight list for the reaper", items.Length, q.Queue);
                break;
            }
        }

        foreach (var c in items)
        {
            c.Verdict.TrySetResult("abandoned");
        }
    }
}
