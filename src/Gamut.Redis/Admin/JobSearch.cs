using Gamut.Redis.Connection;
using Gamut.Redis.Keys;
using StackExchange.Redis;

namespace Gamut.Redis;

/// <summary>What a search of a queue's list found, and how much of the list it read.</summary>
/// <param name="Rows">The matching rows, in the list's order (at most the number asked for).</param>
/// <param name="Scanned">How many entries were read (the newest first); the search stops at its scan limit.</param>
/// <param name="Complete">Whether the whole list was read (nothing older was left unsearched).</param>
public sealed record JobSearchResult(IReadOnlyList<JobListing> Rows, long Scanned, bool Complete);

/// <summary>
/// Searches a queue's list for a text in each job's id, name and input (a dead letter: its whole entry), reading a
/// bounded window of the list in pages of 500 with one pipelined round of HMGETs per page: the cost is bounded by
/// the scan limit, never by the size of the queue.
/// </summary>
internal static class JobSearch
{
    private const int Page = 500;

    public static async Task<JobSearchResult> RunAsync(IEnumerable<RedisConnection> instances, string queue, JobList list, string text, int scanLimit, int max, CancellationToken cancellationToken)
    {
        var rows = new List<JobListing>();
        long scanned = 0;
        var complete = true;
        foreach (var c in instances)
        {
            var q = c.Queue(queue);
            var db = c.Database;
            for (var offset = 0; rows.Count < max; offset += Page)
            {
                if (scanned >= scanLimit)
                {
                    complete = false;
                    break;
                }

                var take = (int)Math.Min(Page, scanLimit - scanned);
                var entries = list switch
                {
                    JobList.Dead or JobList.Queued => (await db.ListRangeAsync(list == JobList.Dead ? q.Dead : q.Ready, offset, offset + take - 1).WaitAsync(cancellationToken).ConfigureAwait(false)).Select(v => (string)v!).ToList(),
                    JobList.Delayed => (await db.SortedSetRangeByRankAsync(q.Delayed, offset, offset + take - 1).WaitAsync(cancellationToken).ConfigureAwait(false)).Select(v => (string)v!).ToList(),
                    _ => await RunningAsync(c, q, offset, take, cancellationToken).ConfigureAwait(false),
                };
                scanned += entries.Count;
                if (list == JobList.Dead)
                {
                    rows.AddRange(entries.Where(e => Has(e, text)).Select(e => RedisAdmin.DeadRow(queue, e)));
                }
                else
                {
                    var ids = entries.Where(KeyNames.IsValidJobId).ToList();
                    var reads = ids.Select(id => db.HashGetAsync(q.Job(id), [JobFields.Name, JobFields.State, JobFields.Created, JobFields.Payload])).ToList();
                    var fields = await Task.WhenAll(reads).WaitAsync(cancellationToken).ConfigureAwait(false);
                    for (var i = 0; i < ids.Count; i++)
                    {
                        var v = fields[i];
                        if (Has(ids[i], text) || Has((string?)v[0], text) || Has((string?)v[3], text))
                        {
                            rows.Add(new JobListing(queue, ids[i], (string?)v[0], (string?)v[1] ?? "missing", RedisAdmin.ToTime(v[2])));
                        }
                    }

                    // A raw envelope from a foreign producer: its text is all there is.
                    rows.AddRange(entries.Where(e => !KeyNames.IsValidJobId(e) && Has(e, text))
                        .Select(e => new JobListing(queue, null, null, "raw", null, Detail: e.Length > 200 ? e[..200] : e)));
                }

                if (entries.Count < take)
                {
                    break;
                }
            }
        }

        return new JobSearchResult(rows.Count <= max ? rows : rows[..max], scanned, complete && rows.Count < max);
    }

    private static bool Has(string? value, string text) => value is not null && value.Contains(text, StringComparison.OrdinalIgnoreCase);

    private static async Task<List<string>> RunningAsync(RedisConnection c, QueueKeys q, int offset, int take, CancellationToken cancellationToken)
    {
        // The in-flight lists are short (a worker's concurrency): read them whole, then the window asked for.
        var ids = new List<string>();
        foreach (var worker in (await c.Database.SetMembersAsync(q.Workers).WaitAsync(cancellationToken).ConfigureAwait(false)).Select(v => (string)v!).Where(KeyNames.IsValidQueue).Order(StringComparer.Ordinal))
        {
            ids.AddRange((await c.Database.ListRangeAsync(q.Active(worker)).WaitAsync(cancellationToken).ConfigureAwait(false)).Select(v => (string)v!));
        }

        return [.. ids.Skip(offset).Take(take)];
    }
}
