using System.Globalization;
using System.Text.Json;
using Gamut.Jobs;
using Gamut.Redis.Connection;
using Gamut.Redis.Keys;
using StackExchange.Redis;

namespace Gamut.Redis;

/// <summary>Reading jobs for operators: one job's record, a page of a queue's list, a search by id.</summary>
public sealed partial class RedisAdmin
{
    private static readonly RedisValue[] RecordFields =
    [
        JobFields.State, JobFields.Name, JobFields.Payload, JobFields.Result, JobFields.Error, JobFields.Deliveries, JobFields.Failures,
        JobFields.Lost, JobFields.MaxAttempts, JobFields.Worker, JobFields.Created, JobFields.Started, JobFields.Finished,
        JobFields.Progress, JobFields.CancelRequested, JobFields.WorkerHost, JobFields.WorkerPid,
    ];

    /// <summary>A workflow's state (docs/redis-protocol.md section 11); null when there is none (or it expired).</summary>
    /// <param name="workflow">The workflow.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <exception cref="ArgumentException">The queue name is not valid.</exception>
    public Task<Workflows.WorkflowStatus?> GetWorkflowAsync(Workflows.WorkflowHandle workflow, CancellationToken cancellationToken = default)
    {
        KeyNames.ValidateQueue(workflow.Queue);
        ArgumentException.ThrowIfNullOrEmpty(workflow.Id);
        return Workflows.RedisWorkflows.ReadStatusAsync(_connection.Database, _connection.Queue(workflow.Queue).Workflow(workflow.Id), cancellationToken);
    }

    /// <summary>Reads a job's whole record, or null when it has none (it never existed, expired, or was deleted).</summary>
    /// <param name="job">The job (its queue and id are checked before any key is built).</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <exception cref="ArgumentException">The queue name or the id is not valid.</exception>
    public async Task<JobRecord?> GetJobAsync(JobHandle job, CancellationToken cancellationToken = default)
    {
        Validate(job);
        foreach (var c in Holders(job.Id))
        {
            var v = await c.Database.HashGetAsync(c.Queue(job.Queue).Job(job.Id), RecordFields).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (v[0].IsNull)
            {
                continue;
            }

            JobError? error = null;
            string? reason = null, code = null;
            if (!v[4].IsNullOrEmpty)
            {
                var (type, why, message, stack, errorCode) = Reply.ParseError((byte[])v[4]!);
                error = new JobError(type, message, stack);
                reason = why;
                code = errorCode;
            }

            var state = (string)v[0]!;
            var deliveries = ToLong(v[5]);

            // The history: field h:N for the newest attempts N (a second read, once the counter is known).
            var fields = AttemptHistory.Fields(deliveries);
            var entries = fields.Length == 0 ? [] : await c.Database.HashGetAsync(c.Queue(job.Queue).Job(job.Id), fields).WaitAsync(cancellationToken).ConfigureAwait(false);

            // The delivery running now, or the one that ended the job, is the record itself (section 4.3) unless h:a
            // holds it (a job cancelled while it waited for a retry: its last attempt was that retry).
            var attempts = new List<JobAttempt>();
            var outcome = state switch
            {
                "running" => "running",
                "succeeded" => "ok",
                "failed" or "dead" or "cancelled" => state,
                _ => null,
            };
            if (outcome is not null && deliveries > 0 && entries[0].IsNullOrEmpty)
            {
                var ended = outcome != "running";
                attempts.Add(new JobAttempt
                {
                    Number = deliveries,
                    Outcome = outcome,
                    Worker = (string?)v[9],
                    Host = (string?)v[15],
                    Pid = v[16].IsNullOrEmpty ? null : ToLong(v[16]),
                    StartedAt = ToTime(v[11]),
                    FinishedAt = ended ? ToTime(v[12]) : null,
                    Error = ended && outcome != "ok" ? error : null,
                    ErrorCode = ended && outcome != "ok" ? code : null,
                    DeadReason = ended && outcome != "ok" ? reason : null,
                });
            }

            for (var i = 0; i < entries.Length; i++)
            {
                if (!entries[i].IsNullOrEmpty)
                {
                    attempts.Add(AttemptHistory.Parse(deliveries - i, (string)entries[i]!));
                }
            }

            return new JobRecord
            {
                Job = job,
                State = state,
                Name = (string?)v[1],
                Input = (string?)v[2],
                Result = (string?)v[3],
                Error = error,
                DeadReason = reason,
                Deliveries = ToInt(v[5]),
                Failures = ToInt(v[6]),
                LostDeliveries = ToInt(v[7]),
                MaxAttempts = v[8].IsNullOrEmpty ? 1 : ToInt(v[8]),
                Worker = (string?)v[9],
                CreatedAt = ToTime(v[10]),
                StartedAt = ToTime(v[11]),
                FinishedAt = ToTime(v[12]),
                Progress = (string?)v[13],
                CancelRequested = !v[14].IsNullOrEmpty,
                Instance = c.Member,
                Attempts = attempts,
            };
        }

        return null;
    }

    /// <summary>Finds the queues holding a record of this id (ids are unique per queue; one lookup per known queue).</summary>
    /// <param name="id">The job id (checked before any key is built).</param>
    /// <param name="queues">The queues to look in.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <exception cref="ArgumentException">The id or a queue name is not valid.</exception>
    public async Task<IReadOnlyList<JobHandle>> FindJobAsync(string id, IEnumerable<string> queues, CancellationToken cancellationToken = default)
    {
        KeyNames.ValidateJobId(id);
        var found = new List<JobHandle>();
        foreach (var queue in queues)
        {
            var job = new JobHandle(queue, id);
            Validate(job);
            foreach (var c in Holders(id))
            {
                if (await c.Database.KeyExistsAsync(c.Queue(queue).Job(id)).WaitAsync(cancellationToken).ConfigureAwait(false))
                {
                    found.Add(job);
                    break;
                }
            }
        }

        return found;
    }

    /// <summary>
    /// Reads one page of a queue's list: at most <paramref name="count"/> rows from <paramref name="offset"/> (one
    /// bounded LRANGE or ZRANGE, then one HMGET per row; on a ring, per instance).
    /// </summary>
    /// <param name="queue">The queue (checked before any key is built).</param>
    /// <param name="list">Which list.</param>
    /// <param name="offset">Rows to skip.</param>
    /// <param name="count">Rows to read (1 to 500).</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <exception cref="ArgumentException">The queue name is not valid.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The offset is negative or the count out of range.</exception>
    public async Task<IReadOnlyList<JobListing>> ListJobsAsync(string queue, JobList list, int offset, int count, CancellationToken cancellationToken = default)
    {
        KeyNames.ValidateQueue(queue);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 500);
        var rows = new List<JobListing>();
        foreach (var c in _deployment!.Instances.Where(c => c.IsLive))
        {
            var q = c.Queue(queue);
            var db = c.Database;
            if (list == JobList.Dead)
            {
                foreach (var entry in await db.ListRangeAsync(q.Dead, offset, offset + count - 1).WaitAsync(cancellationToken).ConfigureAwait(false))
                {
                    rows.Add(DeadRow(queue, (string)entry!));
                }

                continue;
            }

            var ids = list switch
            {
                JobList.Queued => [.. (await db.ListRangeAsync(q.Ready, offset, offset + count - 1).WaitAsync(cancellationToken).ConfigureAwait(false)).Select(v => (string)v!)],
                JobList.Delayed => [.. (await db.SortedSetRangeByRankAsync(q.Delayed, offset, offset + count - 1).WaitAsync(cancellationToken).ConfigureAwait(false)).Select(v => (string)v!)],
                _ => await RunningIdsAsync(c, q, offset + count, cancellationToken).ConfigureAwait(false),
            };
            foreach (var id in ids.Skip(list == JobList.Running ? offset : 0).Take(count))
            {
                if (!KeyNames.IsValidJobId(id))
                {
                    // A raw envelope pushed by a foreign producer: not a job yet.
                    rows.Add(new JobListing(queue, null, null, "raw", null, Detail: id.Length > 200 ? id[..200] : id));
                    continue;
                }

                var v = await db.HashGetAsync(q.Job(id), [JobFields.Name, JobFields.State, JobFields.Created]).WaitAsync(cancellationToken).ConfigureAwait(false);
                rows.Add(new JobListing(queue, id, (string?)v[0], (string?)v[1] ?? "missing", ToTime(v[2])));
            }
        }

        return rows.Count <= count ? rows : rows[..count];
    }

    /// <summary>
    /// Searches a queue's list, newest first, for jobs whose id, name or input contains <paramref name="text"/>
    /// (ignoring case; a dead letter: its whole entry). It reads at most <paramref name="scanLimit"/> entries (per
    /// instance on a ring) in pages of 500, so its cost does not grow with the queue; the result says how many it read.
    /// </summary>
    /// <param name="queue">The queue (checked before any key is built).</param>
    /// <param name="list">Which list.</param>
    /// <param name="text">The text to find (not empty).</param>
    /// <param name="scanLimit">Entries to read at most (1 to 100,000; 5,000 by default).</param>
    /// <param name="max">Rows to return at most (1 to 500).</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <exception cref="ArgumentException">The queue name is not valid, or the text is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The scan limit or the maximum is out of range.</exception>
    public Task<JobSearchResult> SearchJobsAsync(string queue, JobList list, string text, int scanLimit = 5000, int max = 25, CancellationToken cancellationToken = default)
    {
        KeyNames.ValidateQueue(queue);
        ArgumentException.ThrowIfNullOrEmpty(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(scanLimit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(scanLimit, 100_000);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(max, 500);
        return JobSearch.RunAsync(_deployment!.Instances.Where(c => c.IsLive), queue, list, text, scanLimit, max, cancellationToken);
    }

    /// <summary>Whether a queue is paused (its workers take nothing from it).</summary>
    /// <param name="queue">The queue.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    public async Task<bool> IsPausedAsync(string queue, CancellationToken cancellationToken = default)
    {
        KeyNames.ValidateQueue(queue);
        var c = _deployment!.Instances.FirstOrDefault(c => c.IsLive) ?? _connection;
        return await c.Database.KeyExistsAsync(c.Queue(queue).Paused).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<List<string>> RunningIdsAsync(RedisConnection c, QueueKeys q, int max, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        foreach (var worker in (await c.Database.SetMembersAsync(q.Workers).WaitAsync(cancellationToken).ConfigureAwait(false)).Select(v => (string)v!).Order(StringComparer.Ordinal))
        {
            if (ids.Count >= max)
            {
                break;
            }

            if (!KeyNames.IsValidQueue(worker))
            {
                continue;
            }

            ids.AddRange((await c.Database.ListRangeAsync(q.Active(worker), 0, max - ids.Count - 1).WaitAsync(cancellationToken).ConfigureAwait(false)).Select(v => (string)v!));
        }

        return ids;
    }

    internal static JobListing DeadRow(string queue, string entry)
    {
        try
        {
            using var doc = JsonDocument.Parse(entry);
            var root = doc.RootElement;
            string? Get(string name) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            DateTimeOffset? at = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("at", out var a) && a.TryGetInt64(out var ms) && ms is >= 0 and <= 253402300799999
                ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
                : null;
            var id = Get("id");
            return new JobListing(queue, KeyNames.IsValidJobId(id) ? id : null, Get("name"), Get("reason") == "failed" ? "failed" : "dead", at, Get("reason"), Get("detail") ?? Get("entry"));
        }
        catch (JsonException)
        {
            return new JobListing(queue, null, null, "dead", null, "unreadable", entry.Length > 200 ? entry[..200] : entry);
        }
    }

    /// <summary>The instances that may hold a job, live ones only (one for a lone Redis, a Cluster or Sentinel).</summary>
    private IEnumerable<RedisConnection> Holders(string id) => _deployment!.SearchOrder(id).Where(c => c.IsLive);

    private static void Validate(JobHandle job)
    {
        KeyNames.ValidateQueue(job.Queue);
        KeyNames.ValidateJobId(job.Id);
    }

    private static int ToInt(RedisValue v) =>
        v.IsNullOrEmpty || !long.TryParse((string?)v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? 0 : (int)Math.Clamp(n, int.MinValue, int.MaxValue);

    private static long ToLong(RedisValue v) =>
        v.IsNullOrEmpty || !long.TryParse((string?)v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? 0 : n;

    internal static DateTimeOffset? ToTime(RedisValue v) =>
        v.IsNullOrEmpty || !long.TryParse((string?)v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) || ms < 0 || ms > 253402300799999
            ? null
            : DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
