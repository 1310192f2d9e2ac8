using Gamut.Executors;
using Gamut.Jobs;

namespace Gamut.Redis.Tests.Ledger;

/// <summary>
/// The producer's side of the ledger (RELIABILITY.md §3.1): each logical submission's client-generated id is written
/// to <c>producer.log</c> <em>before</em> the enqueue, then marked <c>acked</c>, <c>failed</c> (refused: no job was
/// created) or <c>indeterminate</c> (no confirmation: retried with the same id, which enqueue is idempotent on). What
/// a waiting client was told at the end is kept too (<c>outcome</c>), since a record may expire after it was read.
/// </summary>
public sealed class ProducerLedger
{
    private readonly object _gate = new();
    private readonly StreamWriter _file;

    public ProducerLedger(string dir)
    {
        Directory = dir;
        _file = new StreamWriter(Path.Combine(dir, "producer.log"), append: true) { AutoFlush = true };
    }

    public string Directory { get; }

    public HashSet<string> Submitted { get; } = [];

    public HashSet<string> Acked { get; } = [];

    /// <summary>Refused with certainty (e.g. a full Redis): no job exists, unless an earlier attempt was indeterminate.</summary>
    public HashSet<string> Failed { get; } = [];

    /// <summary>Ids whose enqueue went unconfirmed at least once.</summary>
    public HashSet<string> Indeterminate { get; } = [];

    /// <summary>What a waiting client got: <c>result</c>, <c>failed</c>, <c>dead</c> or <c>lost</c>.</summary>
    public Dictionary<string, string> Outcomes { get; } = [];

    public void Submit(string id) => Write(Submitted, "submitted", id);

    public void Ack(string id) => Write(Acked, "acked", id);

    public void Fail(string id) => Write(Failed, "failed", id);

    public void MarkIndeterminate(string id) => Write(Indeterminate, "indeterminate", id);

    public void Outcome(string id, string kind)
    {
        lock (_gate)
        {
            Outcomes[id] = kind;
            _file.WriteLine($"outcome {id} {kind}");
        }
    }

    /// <summary>
    /// Enqueues one job under a new id, ledgered: retries an unconfirmed enqueue with the same id (as a careful
    /// producer does) up to <paramref name="attempts"/> times. Returns false when Redis refused it or never confirmed it.
    /// </summary>
    public async Task<bool> EnqueueAsync<TIn, TOut>(RedisExecutor client, JobRef<TIn, TOut> job, TIn input, int attempts = 60, string? queue = null)
    {
        var id = JobIds.New();
        Submit(id);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await client.EnqueueAsync(job, input, new JobOptions { Id = id, Queue = queue });
                Ack(id);
                return true;
            }
            catch (RedisUnavailableException)
            {
                MarkIndeterminate(id);
                if (attempt >= attempts)
                {
                    return false;
                }

                await Task.Delay(Math.Min(1000, 50 * attempt));
            }
            catch (RedisFullException)
            {
                Fail(id);
                return false;
            }
        }
    }

    /// <summary>
    /// Submits one job under a new id and waits for its outcome, ledgered: an unconfirmed enqueue is retried with the
    /// same id (a re-submit of an existing id watches the job instead of creating one). Returns the outcome kind.
    /// </summary>
    public async Task<string> SubmitAsync<TIn, TOut>(RedisExecutor client, JobRef<TIn, TOut> job, TIn input, Func<TOut, bool> isRight, int attempts = 60)
    {
        var id = JobIds.New();
        Submit(id);
        for (var attempt = 1; ; attempt++)
        {
            string kind;
            try
            {
                var result = await client.SubmitAsync(job, input, new JobOptions { Id = id });
                kind = isRight(result) ? "result" : "wrong-result";
            }
            catch (RedisUnavailableException)
            {
                MarkIndeterminate(id);
                if (attempt >= attempts)
                {
                    return "unconfirmed";
                }

                await Task.Delay(Math.Min(1000, 50 * attempt));
                continue;
            }
            catch (JobLostException)
            {
                kind = "lost";
            }
            catch (JobDeadLetteredException)
            {
                kind = "dead";
            }
            catch (JobFailedException)
            {
                kind = "failed";
            }

            Ack(id);
            Outcome(id, kind);
            return kind;
        }
    }

    private void Write(HashSet<string> set, string what, string id)
    {
        lock (_gate)
        {
            set.Add(id);
            _file.WriteLine($"{what} {id}");
        }
    }
}
