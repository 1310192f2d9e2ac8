using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Tests.Infrastructure;

namespace Gamut.Redis.Tests;

/// <summary>
/// RedisAdmin.SearchJobsAsync (the dashboard's search): a text in a job's id, name or input, found in the newest
/// entries of a list, never more read than the scan limit.
/// </summary>
[Collection(SharedRedisCollection.Name)]
public sealed class JobSearchTests(SharedRedis redis)
{
    private static readonly JobRef<string, string> Echo = JobRef.Named<string, string>("search.echo");

    [Fact]
    public async Task A_search_finds_by_input_name_and_id_in_the_newest_entries_and_reads_no_more_than_its_limit()
    {
        var options = RedisOptions.FromUrl(redis.Server.Url).WithKeyPrefix("srch" + Guid.NewGuid().ToString("N")[..6]);
        await using var client = await RedisExecutor.ConnectAsync(options);
        var handles = await client.EnqueueManyAsync(Echo, Enumerable.Range(0, 1200).Select(i => $"item-{i}"));
        var delayed = await client.EnqueueAsync(Echo, "later-needle", new JobOptions { Delay = TimeSpan.FromHours(1) });
        await using var admin = await RedisAdmin.ConnectAsync(options);

        // By input, ignoring case: exactly the one job.
        var one = await admin.SearchJobsAsync("default", JobList.Queued, "ITEM-1117");
        Assert.Equal(handles[1117].Id, Assert.Single(one.Rows).Id);
        Assert.Equal("search.echo", one.Rows[0].Name);
        Assert.Equal("queued", one.Rows[0].State);
        Assert.Equal(1200, one.Scanned);
        Assert.True(one.Complete);

        // By id.
        var byId = await admin.SearchJobsAsync("default", JobList.Queued, handles[3].Id);
        Assert.Equal(handles[3].Id, Assert.Single(byId.Rows).Id);

        // By name: every job matches; the rows stop at the maximum, and the search says it did not read everything.
        var byName = await admin.SearchJobsAsync("default", JobList.Queued, "search.echo", max: 40);
        Assert.Equal(40, byName.Rows.Count);
        Assert.False(byName.Complete);

        // Bounded: the newest 500 are items 700 to 1199; "item-5" (items 5, 50-59, 500-599) is older than all of them.
        var bounded = await admin.SearchJobsAsync("default", JobList.Queued, "item-5", scanLimit: 500);
        Assert.Empty(bounded.Rows);
        Assert.Equal(500, bounded.Scanned);
        Assert.False(bounded.Complete);
        var newer = await admin.SearchJobsAsync("default", JobList.Queued, "item-1150", scanLimit: 500);
        Assert.Equal(handles[1150].Id, Assert.Single(newer.Rows).Id);

        // Another list: the delayed set.
        var later = await admin.SearchJobsAsync("default", JobList.Delayed, "needle");
        Assert.Equal(delayed.Id, Assert.Single(later.Rows).Id);
        Assert.Equal("delayed", later.Rows[0].State);

        await Assert.ThrowsAsync<ArgumentException>(() => admin.SearchJobsAsync("bad queue!", JobList.Queued, "x"));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => admin.SearchJobsAsync("default", JobList.Queued, ""));
    }
}
