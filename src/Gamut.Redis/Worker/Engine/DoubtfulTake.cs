using Gamut.Redis.Connection;
using Gamut.Redis.Keys;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gamut.Redis.Worker.Engine;

/// <summary>
/// Under Sentinel, a take sent while the primary gate changed (<see cref="PrimaryGate.Doubtful"/>) may have been
/// answered by another instance than the confirmed primary: an old primary restarted empty at its address, not yet
/// demoted, which StackExchange.Redis sends writes to as soon as it reconnects. Such an instance can hold a copy of a
/// job — a producer's enqueue that landed there in the same race is sent again to the primary, but its copy stays —
/// and running that copy gives a second execution with the same fencing token as the primary's own delivery (the
/// copy's delivery counter starts again at 0). So the jobs of a doubtful take run only if the confirmed primary,
/// asked once the gate is open and nothing changed during the read, shows each as this worker's delivery with the
/// same fence, not already held here. The others are not run: a copy vanishes with the instance's demotion.
/// </summary>
internal static class DoubtfulTake
{
    /// <summary>How many times the gate's wait (bounded by the command timeout) is retried before giving up.</summary>
    private const int GateWaits = 30;

    /// <summary>
    /// The jobs of <paramref name="jobs"/> the confirmed primary shows as this worker's deliveries.
    /// </summary>
    /// <exception cref="RedisConnectionException">No primary confirmed after many waits: nothing of this take is run,
    /// and what the primary holds in our in-flight list goes back to the queue by the reconciliation pass.</exception>
    public static async Task<List<TakenJob>> KeepConfirmedAsync(RedisConnection connection, string workerId, QueueKeys q, List<TakenJob> jobs, HeldJobs held)
    {
        if (jobs.Count == 0 || connection.PrimaryGate is null)
        {
            return jobs;
        }

        var ours = await OnPrimaryAsync(connection, workerId, q, jobs).ConfigureAwait(false);
        // A job held already is a copy of a delivery this worker runs (taken from the primary earlier).
        var kept = jobs.Where((job, i) => ours[i] && !held.IsHeld(q.Queue, job.EntryKey)).ToList();
        if (kept.Count < jobs.Count)
        {
            connection.Logger.LogWarning(
                "Worker {Worker}: {Count} of {Taken} jobs taken from queue {Queue} while the Sentinel primary changed are not this worker's deliveries on the confirmed primary (an old primary answered, not yet demoted?); they are not run",
                workerId, jobs.Count - kept.Count, jobs.Count, q.Queue);
        }

        return kept;
    }

    /// <summary>
    /// For each of <paramref name="jobs"/>, whether the confirmed primary shows it as this worker's running delivery
    /// with the same fence (a job record), or holds it in our in-flight list (a raw entry not yet adopted). Asked once
    /// the gate is open, again if the gate changed during the read. Also how a worker tells, after an outcome sent in
    /// doubt, that the primary has not recorded it yet.
    /// </summary>
    /// <exception cref="RedisConnectionException">No primary confirmed after many waits.</exception>
    public static async Task<bool[]> OnPrimaryAsync(RedisConnection connection, string workerId, QueueKeys q, IReadOnlyList<TakenJob> jobs)
    {
        var gate = connection.PrimaryGate!;
        for (var wait = 1; ; wait++)
        {
            try
            {
                await connection.WhenWritableAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (RedisConnectionException) when (wait < GateWaits)
            {
                continue;
            }

            var epoch = gate.Epoch;
            var db = connection.Database;
            var records = jobs.Select(j => j.Id.Length > 0 ? db.HashGetAsync(q.Job(j.Id), ["s", "a", "w"], CommandFlags.DemandMaster) : null).ToArray();
            var positions = jobs.Select(j => j.Id.Length == 0 && j.Raw is { } raw ? db.ListPositionAsync(q.Active(workerId), raw, flags: CommandFlags.DemandMaster) : null).ToArray();
            await Task.WhenAll(records.OfType<Task>().Concat(positions.OfType<Task>())).ConfigureAwait(false);
            if (gate.Doubtful(epoch))
            {
                // The answer may be the other instance's again: ask once the primary is confirmed anew.
                continue;
            }

            return [.. jobs.Select((job, i) => records[i] is { } record
                ? record.Result is [var s, var a, var w] && (string?)s == "running" && (long?)a == job.Fence && (string?)w == workerId
                : positions[i] is { } position && position.Result >= 0)];
        }
    }
}
