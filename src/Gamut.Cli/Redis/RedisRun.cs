using Gamut.Cli.Run;
using Gamut.Cli.Run.Execution;
using Gamut.Executors;
using Gamut.Redis;
using Gamut.Redis.Keys;

namespace Gamut.Cli.Redis;

/// <summary>
/// <c>gamut run --redis URL [--queue Q] [--prefix P] …</c>: the same front end as a local run (ordering, --tag,
/// joblog, halt rules, exit status), with the command jobs sent to Redis workers instead of run here.
/// </summary>
internal static class RedisRun
{
    /// <summary>Whether a <c>run</c> command line asks for Redis.</summary>
    public static bool Requested(IReadOnlyList<string> args)
    {
        foreach (var a in args)
        {
            if (a is ":::" or "::::" or ":::+" or "::::+")
            {
                return false;
            }

            if (a == "--redis" || a.StartsWith("--redis=", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    public static int Execute(IReadOnlyList<string> args) => RedisExit.Run("gamut run", () =>
    {
        var redis = new RedisArgs { Logging = Microsoft.Extensions.Logging.LogLevel.Warning };
        var queue = KeyNames.DefaultQueue;
        var rest = new List<string>();
        var i = 0;
        for (; i < args.Count; i++)
        {
            if (args[i] is ":::" or "::::" or ":::+" or "::::+")
            {
                break;
            }

            if (redis.TryTake(args, ref i))
            {
                continue;
            }

            if (args[i] == "--queue")
            {
                queue = RedisArgs.Queue("--queue", RedisArgs.Value(args, ref i));
                continue;
            }

            rest.Add(args[i]);
        }

        rest.AddRange(args.Skip(i));
        // An enqueue whose reply was lost is retried with the same id on the same instance until it answers or is
        // removed from the ring (docs/ring.md): failing the job after a fixed wait would record a job that may run.
        var options = redis.ToOptions("gamut run");
        options = options.WithRing(options.Ring with { IndeterminateWait = Timeout.InfiniteTimeSpan });
        var executor = RedisExecutor.ConnectAsync(options, new RedisExecutorOptions { Queue = queue }).GetAwaiter().GetResult();
        var status = RunCommand.Execute(rest, _ => new ExecutorBackend(executor));
        foreach (var (instance, count) in executor.LostWithRemovedInstances)
        {
            // Each is a failed job in the joblog and the exit status already; this says why.
            Console.Error.WriteLine($"gamut run: {count} job{(count == 1 ? " was" : "s were")} lost: ring instance {instance} was removed (gamut ring remove --now) before they ended");
        }

        return status;
    });
}
