using Gamut.Redis;

namespace Gamut.Cli.Redis;

/// <summary><c>gamut limit set|clear|show</c>: a queue's rate limit and per-key limit, kept in Redis (<see cref="RedisQueueLimits"/>).</summary>
internal static class LimitCommand
{
    public const string Help = """
        Usage: gamut limit set   QUEUE [--rate N/PERIOD] [--per-key N] --redis URL [--prefix P]
               gamut limit clear QUEUE [--rate] [--per-key] --redis URL [--prefix P]
               gamut limit show  [QUEUE] --redis URL [--prefix P]

        A rate limit lets at most N jobs of QUEUE start in any window of PERIOD, however many workers serve it on
        however many machines: each worker's take asks Redis, which keeps the count. A worker refused waits until
        the next start is due.

          --rate N/PERIOD   e.g. 50/s, 100/10s, 1000/1m, 3/500ms (units ms, s, m, h; N up to 1000000)
          --per-key N       at most N jobs with the same concurrency key (JobOptions.ConcurrencyKey, e.g. a
                            customer id) run at once; jobs without a key are not limited (N up to 1000000)

        A limit set or lowered applies to every worker's next take: jobs already running finish, and a new job
        starts only once fewer than N have started in the PERIOD before it (starts made under the old limit
        count). A per-key limit lowered while jobs run: they finish, and a key's next job starts once fewer than
        the new N of that key run. clear lifts both limits at once (or the one named). show lists every queue's
        limits, or QUEUE's.

        """;

    public static int Execute(IReadOnlyList<string> args) => RedisExit.Run("gamut limit", () => Run(args));

    private static int Run(IReadOnlyList<string> args)
    {
        var redis = new RedisArgs { Logging = Microsoft.Extensions.Logging.LogLevel.Warning };
        string? verb = null, queue = null, rateText = null, perKeyText = null;
        bool clearRate = false, clearPerKey = false;
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
                case "--rate" when verb == "clear":
                    clearRate = true;
                    break;
                case "--per-key" when verb == "clear":
                    clearPerKey = true;
                    break;
                case "--rate":
                    rateText = RedisArgs.Value(args, ref i);
                    break;
                case "--per-key":
                    perKeyText = RedisArgs.Value(args, ref i);
                    break;
                case var a when a.StartsWith('-'):
                    throw new RedisUsageException($"unknown option '{a}'");
                case var a when verb is null:
                    verb = a is "set" or "clear" or "show" ? a : throw new RedisUsageException($"unknown action '{a}': use set, clear or show");
                    break;
                case var a when queue is null:
                    queue = RedisArgs.Queue("the queue", a);
                    break;
                default:
                    throw new RedisUsageException($"unexpected argument '{args[i]}'");
            }
        }

        if (verb is null)
        {
            throw new RedisUsageException("say what to do: set, clear or show");
        }

        if (verb != "show" && queue is null)
        {
            throw new RedisUsageException($"limit {verb} needs the queue");
        }

        RateLimit? rate = null;
        int? perKey = null;
        if (verb == "set")
        {
            if (rateText is null && perKeyText is null)
            {
                throw new RedisUsageException("limit set needs --rate N/PERIOD (e.g. --rate 50/s) or --per-key N");
            }

            try
            {
                rate = rateText is null ? null : RateLimit.Parse(rateText);
            }
            catch (FormatException e)
            {
                throw new RedisUsageException("--rate " + e.Message);
            }

            if (perKeyText is not null)
            {
                perKey = int.TryParse(perKeyText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= RedisQueueLimits.MaxPerKey
                    ? n
                    : throw new RedisUsageException($"--per-key '{perKeyText}' is not a whole number from 1 to {RedisQueueLimits.MaxPerKey}");
            }
        }
        else if (rateText is not null || perKeyText is not null)
        {
            throw new RedisUsageException($"{(rateText is not null ? "--rate" : "--per-key")} N goes with set, not {verb}");
        }

        if (verb == "clear" && !clearRate && !clearPerKey)
        {
            clearRate = clearPerKey = true;
        }

        var options = redis.ToOptions("gamut limit");
        return ExecuteAsync(options, verb, queue, rate, perKey, clearRate, clearPerKey).GetAwaiter().GetResult();
    }

    private static async Task<int> ExecuteAsync(RedisOptions options, string verb, string? queue, RateLimit? rate, int? perKey, bool clearRate, bool clearPerKey)
    {
        await using var limits = await RedisQueueLimits.ConnectAsync(options).ConfigureAwait(false);
        var o = Console.Out;
        switch (verb)
        {
            case "set":
                if (rate is not null)
                {
                    await limits.SetRateAsync(queue!, rate).ConfigureAwait(false);
                    o.WriteLine($"{queue}: rate limit {rate}: at most {rate.Count} jobs start in any window of {rate.ToString().Split('/')[1]}");
                }

                if (perKey is { } max)
                {
                    await limits.SetPerKeyAsync(queue!, max).ConfigureAwait(false);
                    o.WriteLine($"{queue}: per-key limit {max}: at most {max} jobs with the same concurrency key run at once");
                }

                return 0;
            case "clear":
                if (clearRate)
                {
                    var cleared = await limits.ClearRateAsync(queue!).ConfigureAwait(false);
                    o.WriteLine(cleared ? $"{queue}: rate limit cleared" : $"{queue}: had no rate limit");
                }

                if (clearPerKey)
                {
                    var cleared = await limits.ClearPerKeyAsync(queue!).ConfigureAwait(false);
                    o.WriteLine(cleared ? $"{queue}: per-key limit cleared" : $"{queue}: had no per-key limit");
                }

                return 0;
            default:
                if (queue is not null)
                {
                    var limit = await limits.GetRateAsync(queue).ConfigureAwait(false);
                    o.WriteLine(limit is null ? $"{queue}: no rate limit" : $"{queue}\trate {limit}");
                    var pk = await limits.GetPerKeyAsync(queue).ConfigureAwait(false);
                    o.WriteLine(pk is null ? $"{queue}: no per-key limit" : $"{queue}\tper-key {pk}");
                    return 0;
                }

                var all = await limits.ListRatesAsync().ConfigureAwait(false);
                var perKeys = await limits.ListPerKeyAsync().ConfigureAwait(false);
                if (all.Count == 0 && perKeys.Count == 0)
                {
                    o.WriteLine("no queue has a limit");
                }

                foreach (var (q, l) in all)
                {
                    o.WriteLine($"{q}\trate {l}");
                }

                foreach (var (q, n) in perKeys)
                {
                    o.WriteLine($"{q}\tper-key {n}");
                }

                return 0;
        }
    }
}
