using System.Globalization;
using Gamut.Redis;

namespace Gamut.Cli.Redis;

/// <summary><c>gamut status --redis URL [--prefix P] [--dead N]</c>: queues with depths and counters, workers alive with their jobs.</summary>
internal static class StatusCommand
{
    public const string Help = """
        Usage: gamut status --redis URL [--prefix P] [--dead N]
               gamut status --redis URL [--prefix P] --workflow ID [--queue Q]

        Shows every queue and every worker (alive or gone, its current jobs). Per queue: pending (not finished:
        ready + delayed + running + stuck), ready, delayed, running (held by live workers), stuck (held by workers
        whose heartbeat lapsed: the reaper returns them within a few beats; a count that stays is a problem),
        dead-list depth, and the counts of jobs succeeded, failed, dead-lettered, duplicate runs (outcomes refused
        because the job had passed to another worker), retried, reaped and cancelled. On a ring (--redis a,b,c),
        the queues are summed over its instances, and each instance is listed with its own depths; the jobs of an
        instance that does not answer are shown as pending (kept by another member), not lost; the jobs that had not
        ended on an instance removed at once (ring remove --now) are shown as lost. --dead N also prints the
        newest N dead-letter entries of each queue. A key of another type than Gamut keeps there (another client or
        an older version wrote it) is listed under "broken keys" and counted as empty; the rest is shown as usual.
        Workflows running (chains, groups, chords: docs/redis.md) are counted per queue. --workflow ID shows one
        workflow of queue Q (default: default): its state, policy, jobs ended and its error; exit 1 when there is none.

        """;

    public static int Execute(IReadOnlyList<string> args) => RedisExit.Run("gamut status", () => Run(args));

    private static int Run(IReadOnlyList<string> args)
    {
        var redis = new RedisArgs { Logging = Microsoft.Extensions.Logging.LogLevel.Warning };
        var dead = 0;
        string? workflow = null;
        var queue = "default";
        for (var i = 0; i < args.Count; i++)
        {
            if (redis.TryTake(args, ref i))
            {
                continue;
            }

            switch (args[i])
            {
                case "-h" or "--help":
                    Console.Out.Write(Help);
                    return 0;
                case "--dead":
                    dead = RedisArgs.PositiveInt("--dead", RedisArgs.Value(args, ref i));
                    break;
                case "--workflow":
                    workflow = RedisArgs.Value(args, ref i);
                    break;
                case "--queue":
                    queue = RedisArgs.Value(args, ref i);
                    break;
                default:
                    throw new RedisUsageException($"unknown option '{args[i]}'");
            }
        }

        var options = redis.ToOptions("gamut status");
        if (workflow is not null)
        {
            if (workflow.Length is 0 or > 180 || !workflow.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '.' or '_' or '-'))
            {
                throw new RedisUsageException($"'{workflow}' is not a workflow id (1-180 of A-Z a-z 0-9 . _ -)");
            }

            if (!Gamut.Redis.Keys.KeyNames.IsValidQueue(queue))
            {
                throw new RedisUsageException($"'{queue}' is not a queue name (1-100 of A-Z a-z 0-9 . _ -)");
            }

            return ShowWorkflowAsync(options, new Gamut.Redis.Workflows.WorkflowHandle(queue, workflow)).GetAwaiter().GetResult();
        }

        return ShowAsync(options, dead).GetAwaiter().GetResult();
    }

    private static async Task<int> ShowWorkflowAsync(RedisOptions options, Gamut.Redis.Workflows.WorkflowHandle workflow)
    {
        await using var admin = await RedisAdmin.ConnectAsync(options).ConfigureAwait(false);
        var w = await admin.GetWorkflowAsync(workflow).ConfigureAwait(false);
        if (w is null)
        {
            Console.Error.WriteLine($"gamut status: no workflow '{workflow.Id}' on queue '{workflow.Queue}' (it never started, or it ended and expired)");
            return 1;
        }

        var o = Console.Out;
        o.WriteLine($"workflow {workflow.Id} on queue {workflow.Queue}: {w.State}");
        o.WriteLine($"  policy    {w.Policy}");
        o.WriteLine($"  jobs      {N(w.Jobs)} ({N(w.Succeeded)} succeeded, {N(w.Failed)} failed or cancelled, {N(Math.Max(0, w.Jobs - w.Succeeded - w.Failed))} not ended)");
        o.WriteLine($"  started   {w.Created.ToString("u", CultureInfo.InvariantCulture)}");
        if (w.Finished is { } fin)
        {
            o.WriteLine($"  ended     {fin.ToString("u", CultureInfo.InvariantCulture)}");
        }

        if (w.Error is { } e)
        {
            o.WriteLine($"  error     {e}");
        }

        return 0;
    }

    private static async Task<int> ShowAsync(RedisOptions options, int dead)
    {
        await using var admin = await RedisAdmin.ConnectAsync(options).ConfigureAwait(false);
        var status = await admin.GetStatusAsync().ConfigureAwait(false);
        var o = Console.Out;
        string[] header = ["queue", "pending", "ready", "delayed", "running", "stuck", "dead-list", "succeeded", "failed", "dead-lettered", "duplicates", "retried", "reaped", "cancelled"];
        var rows = status.Queues.Select(q => new[]
        {
            q.Name, N(q.Pending), N(q.Ready), N(q.Delayed), N(q.Running), N(q.Stuck), N(q.DeadLetters), N(q.Succeeded), N(q.Failed),
            N(q.DeadLettered), N(q.Duplicates), N(q.Retried), N(q.Reaped), N(q.Cancelled),
        }).ToList();
        if (rows.Count == 0)
        {
            o.WriteLine($"no queues under the prefix '{options.KeyPrefix}'");
        }
        else
        {
            var widths = header.Select((h, c) => Math.Max(h.Length, rows.Max(r => r[c].Length))).ToArray();
            o.WriteLine(string.Join("  ", header.Select((h, c) => c == 0 ? h.PadRight(widths[c]) : h.PadLeft(widths[c]))));
            foreach (var r in rows)
            {
                o.WriteLine(string.Join("  ", r.Select((v, c) => c == 0 ? v.PadRight(widths[c]) : v.PadLeft(widths[c]))));
            }
        }

        if (status.Deployment is { } deployment)
        {
            o.WriteLine();
            o.WriteLine($"redis: {deployment.Description}");
        }

        if (status.Queues.Sum(q => q.Workflows) is > 0 and var flows)
        {
            o.WriteLine();
            o.WriteLine($"workflows running: {flows} ({string.Join(", ", status.Queues.Where(q => q.Workflows > 0).Select(q => $"{q.Name} {q.Workflows}"))}); gamut status --workflow ID --queue Q shows one");
        }

        if (status.Queues.Sum(q => q.Lost) is > 0 and var lost)
        {
            o.WriteLine();
            o.WriteLine($"lost: {lost} jobs had not ended on ring instances removed at once (gamut ring remove --now); no worker serves them: "
                + string.Join(", ", status.Queues.Where(q => q.Lost > 0).Select(q => $"{q.Name} {q.Lost}")));
        }

        if (status.BrokenKeys.Count > 0)
        {
            // Another client or an older version wrote these: what they hold is left out above (read as empty).
            o.WriteLine();
            o.WriteLine($"broken keys: {status.BrokenKeys.Count} (of another type than Gamut keeps there; counted as empty above; fix or delete them)");
            foreach (var b in status.BrokenKeys)
            {
                o.WriteLine($"  {b.Key}  holds a {b.ActualType}, expected a {b.ExpectedType}");
            }
        }

        InstancesTable.Write(o, status);
        var alive = status.Workers.Count(w => w.Alive);
        o.WriteLine();
        o.WriteLine($"workers: {alive} alive{(status.Workers.Count > alive ? $", {status.Workers.Count - alive} gone" : "")}");
        foreach (var w in status.Workers)
        {
            var ago = DateTimeOffset.UtcNow - w.LastSeen;
            var jobs = w.CurrentJobs.Count == 0 ? "idle" : $"{w.CurrentJobs.Count} jobs: {string.Join(" ", w.CurrentJobs.Take(8))}{(w.CurrentJobs.Count > 8 ? " …" : "")}";
            o.WriteLine($"  {w.Id}  {(w.Alive ? "alive" : "gone")}  seen {ago.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s ago  {jobs}");
        }

        if (dead > 0)
        {
            foreach (var q in status.Queues.Where(q => q.DeadLetters > 0 && !status.BrokenKeys.Any(b => b.Key.EndsWith($"{{{q.Name}}}:dead", StringComparison.Ordinal))))
            {
                o.WriteLine();
                o.WriteLine($"dead letters of {q.Name} (newest first):");
                foreach (var entry in await admin.GetDeadLettersAsync(q.Name, dead).ConfigureAwait(false))
                {
                    o.WriteLine($"  {entry}");
                }
            }
        }

        return 0;
    }

    private static string N(long n) => n.ToString(CultureInfo.InvariantCulture);
}
