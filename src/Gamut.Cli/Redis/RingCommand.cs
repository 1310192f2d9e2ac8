using Gamut.Redis;

namespace Gamut.Cli.Redis;

/// <summary><c>gamut ring show|add|remove --redis URL[,URL…] [--prefix P]</c>: a ring of Redis instances and its membership.</summary>
internal static class RingCommand
{
    public const string Help = """
        Usage: gamut ring show   --redis URL[,URL...] [--prefix P]
               gamut ring add    INSTANCE --redis URL[,URL...] [--prefix P]
               gamut ring remove INSTANCE --redis URL[,URL...] [--prefix P] [--now]

        A ring spreads jobs over independent Redis instances by their ids (consistent hashing). Its topology is
        stored in every instance, so --redis may name any one that answers.

          show     the topology: each instance, whether it answers, the version it holds, its share, its jobs
          add      INSTANCE (host:port or redis://host:port) takes its share of new jobs; one instance that is
                   not a ring yet becomes a ring of two
          remove   INSTANCE takes no new job; workers drain it, then it leaves the ring. With --now it leaves at
                   once and jobs still on it are no longer served (for an instance that is gone for good)

        Running clients and workers learn of a change at once (PUB/SUB) or at their next check (5 s).

        """;

    public static int Execute(IReadOnlyList<string> args) => RedisExit.Run("gamut ring", () =>
    {
        try
        {
            return Run(args);
        }
        catch (InvalidOperationException e)
        {
            // A change this deployment cannot take (one Redis is not a ring; a Cluster cannot join one): the request's fault.
            throw new RedisUsageException(e.Message);
        }
    });

    private static int Run(IReadOnlyList<string> args)
    {
        var redis = new RedisArgs { Logging = Microsoft.Extensions.Logging.LogLevel.Warning };
        string? verb = null, instance = null;
        var now = false;
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
                case "--now":
                    now = true;
                    break;
                case var a when a.StartsWith('-'):
                    throw new RedisUsageException($"unknown option '{a}'");
                case var a when verb is null:
                    verb = a is "show" or "add" or "remove" ? a : throw new RedisUsageException($"unknown action '{a}': use show, add or remove");
                    break;
                case var a when instance is null && verb is "add" or "remove":
                    instance = a;
                    break;
                default:
                    throw new RedisUsageException($"unexpected argument '{args[i]}'");
            }
        }

        if (verb is null)
        {
            throw new RedisUsageException("say what to do: show, add or remove");
        }

        if (verb != "show" && instance is null)
        {
            throw new RedisUsageException($"ring {verb} needs an instance (host:port)");
        }

        if (now && verb != "remove")
        {
            throw new RedisUsageException("--now goes with remove");
        }

        if (instance is not null && !Gamut.Redis.Ring.RingMember.TryNormalize(instance, out _))
        {
            throw new RedisUsageException($"'{instance}' is not an instance (host:port, or redis://host:port)");
        }

        var options = redis.ToOptions("gamut ring");
        return ExecuteAsync(options, verb, instance, now).GetAwaiter().GetResult();
    }

    private static async Task<int> ExecuteAsync(RedisOptions options, string verb, string? instance, bool now)
    {
        await using var admin = await RedisAdmin.ConnectAsync(options).ConfigureAwait(false);
        var o = Console.Out;
        switch (verb)
        {
            case "add":
                var added = await admin.AddInstanceAsync(instance!).ConfigureAwait(false);
                o.WriteLine($"added {Gamut.Redis.Ring.RingMember.Normalize(instance!)}: {added}");
                break;
            case "remove":
                var removed = await admin.RemoveInstanceAsync(instance!, drain: !now).ConfigureAwait(false);
                o.WriteLine(now
                    ? $"removed {Gamut.Redis.Ring.RingMember.Normalize(instance!)} at once: {removed}"
                    : $"{Gamut.Redis.Ring.RingMember.Normalize(instance!)} is draining (it takes no new job and leaves once empty): {removed}");
                break;
        }

        if (admin.Ring is null)
        {
            o.WriteLine("not a ring: one Redis (an instance, a Sentinel service or a Cluster); 'gamut ring add' makes an instance into a ring");
            return verb == "show" ? 0 : 1;
        }

        InstancesTable.Write(o, await admin.GetStatusAsync().ConfigureAwait(false));
        return 0;
    }
}
