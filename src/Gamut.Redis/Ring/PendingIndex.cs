using Gamut.Redis.Connection;
using Gamut.Redis.Scripts;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gamut.Redis.Ring;

/// <summary>
/// For each ring member, the jobs it holds that have not ended, kept in another member (its witness: the next
/// member in name order that answers) as the SET <c>P:ring:pending:MEMBER</c> of <c>queue id</c> entries. An entry is
/// added once the member acknowledged the job's enqueue and removed once it acknowledged the job's end, so when the
/// member stops answering, <c>gamut status</c> can still say how many of its jobs are pending — not lost. A worker
/// may learn of a job's end before its producer adds the entry: the removal then leaves a tombstone (ZSET
/// <c>P:ring:ended:MEMBER</c>) that the late add consumes instead of adding.
/// </summary>
/// <remarks>
/// Entries whose removal went to another witness than their addition (the witness itself was down) are cleaned up
/// by <see cref="PruneAsync"/> while the member answers; until then they count as pending. docs/ring.md states this.
/// </remarks>
internal sealed class PendingIndex(RedisRing ring)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, AddBatch> _adds = new(StringComparer.Ordinal);

    public RedisKey Key(string member) => $"{ring.Options.KeyPrefix}:ring:pending:{member}";

    public RedisKey EndedKey(string member) => $"{ring.Options.KeyPrefix}:ring:ended:{member}";

    public static string Entry(string queue, string id) => queue + " " + id;

    /// <summary>The instances that may witness <paramref name="member"/>, in order: the served ones after it by name, wrapping, that answer.</summary>
    public IEnumerable<RedisConnection> Witnesses(string member)
    {
        var served = ring.Topology.Served.Where(m => m != member).Order(StringComparer.Ordinal).ToList();
        var start = served.FindIndex(m => string.CompareOrdinal(m, member) > 0);
        if (start < 0)
        {
            start = 0;
        }

        for (var i = 0; i < served.Count; i++)
        {
            if (ring.Connection(served[(start + i) % served.Count]) is { IsLive: true } c)
            {
                yield return c;
            }
        }
    }

    /// <summary>
    /// Records jobs that <paramref name="member"/> acknowledged. Concurrent calls share round trips: whatever piles up
    /// while one add is in flight goes in the next (a submit waits for its own entry to be recorded).
    /// </summary>
    public Task AddAsync(string member, string queue, IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batch = _adds.GetOrAdd(member, static _ => new AddBatch());
        lock (batch)
        {
            batch.Items.AddRange(ids.Select(id => (RedisValue)Entry(queue, id)));
            batch.Waiters.Add(done);
            if (!batch.Flushing)
            {
                batch.Flushing = true;
                _ = Task.Run(() => FlushAsync(member, batch), CancellationToken.None);
            }
        }

        return done.Task.WaitAsync(cancellationToken);
    }

    private async Task FlushAsync(string member, AddBatch batch)
    {
        while (true)
        {
            RedisValue[] entries;
            TaskCompletionSource[] waiters;
            lock (batch)
            {
                if (batch.Waiters.Count == 0)
                {
                    batch.Flushing = false;
                    return;
                }

                entries = [.. batch.Items];
                waiters = [.. batch.Waiters];
                batch.Items.Clear();
                batch.Waiters.Clear();
            }

            await AddNowAsync(member, entries).ConfigureAwait(false);
            foreach (var w in waiters)
            {
                w.TrySetResult();
            }
        }
    }

    private async Task AddNowAsync(string member, RedisValue[] entries)
    {
        foreach (var w in Witnesses(member))
        {
            try
            {
                foreach (var chunk in entries.Chunk(1000))
                {
                    await w.Database.ScriptEvaluateAsync(LuaScripts.PendingAdd, [Key(member), EndedKey(member)], chunk).ConfigureAwait(false);
                }

                return;
            }
            catch (Exception e) when (RedisFailures.IsTransient(e) || e is RedisServerException)
            {
                w.MarkSuspect();
            }
        }

        ring.Logger.LogDebug("No witness answered for {Count} jobs of {Member}: they are not counted if it stops answering", entries.Length, member);
    }

    private sealed class AddBatch
    {
        public List<RedisValue> Items { get; } = [];

        public List<TaskCompletionSource> Waiters { get; } = [];

        public bool Flushing { get; set; }
    }

    /// <summary>Forgets jobs that ended on <paramref name="member"/>.</summary>
    public async Task RemoveAsync(string member, IReadOnlyCollection<string> entries, CancellationToken cancellationToken)
    {
        RedisValue[] values = [DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), .. entries.Select(e => (RedisValue)e)];
        foreach (var w in Witnesses(member))
        {
            try
            {
                await w.Database.ScriptEvaluateAsync(LuaScripts.PendingEnd, [Key(member), EndedKey(member)], values).WaitAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (RedisFailures.IsTransient(e))
            {
                w.MarkSuspect();
            }
        }
    }

    /// <summary>Every entry recorded for <paramref name="member"/> by the instances that answer.</summary>
    public async Task<HashSet<string>> ReadAsync(string member, CancellationToken cancellationToken)
    {
        var all = new HashSet<string>(StringComparer.Ordinal);
        foreach (var w in Witnesses(member))
        {
            foreach (var v in await w.Database.SetMembersAsync(Key(member)).WaitAsync(cancellationToken).ConfigureAwait(false))
            {
                all.Add((string)v!);
            }
        }

        return all;
    }

    /// <summary>Removes the entries of <paramref name="home"/>'s jobs that have ended (or expired) there, from every witness.</summary>
    public async Task PruneAsync(RedisConnection home, CancellationToken cancellationToken)
    {
        var member = home.Member!;
        foreach (var w in Witnesses(member).ToList())
        {
            var entries = await w.Database.SetMembersAsync(Key(member)).WaitAsync(cancellationToken).ConfigureAwait(false);
            foreach (var chunk in entries.Chunk(500))
            {
                var states = await Task.WhenAll(chunk.Select(e =>
                {
                    var text = (string)e!;
                    var space = text.IndexOf(' ');
                    return space <= 0
                        ? Task.FromResult(RedisValue.Null)
                        : home.Database.HashGetAsync(home.Queue(text[..space]).Job(text[(space + 1)..]), "s");
                })).WaitAsync(cancellationToken).ConfigureAwait(false);
                var ended = chunk.Where((_, i) => states[i].IsNull || RedisJobStates.IsFinal((string?)states[i])).ToArray();
                if (ended.Length > 0)
                {
                    await w.Database.SetRemoveAsync(Key(member), ended).WaitAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }
}
