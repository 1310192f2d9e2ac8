using System.Globalization;
using System.Text.Json;
using Gamut.Jobs.Commands;
using Gamut.Redis;

namespace Gamut.Cli.Redis;

/// <summary><c>gamut schedule add|list|remove|pause|resume</c>: recurring jobs kept by the workers (<see cref="RedisSchedules"/>).</summary>
internal static class ScheduleCommand
{
    public const string Help = """
        Usage: gamut schedule add NAME --cron EXPR [--tz ZONE] [--queue Q] [--misfire once|skip|each] [--replace]
                                  --redis URL [--prefix P] -- COMMAND [ARGS...]
               gamut schedule list   --redis URL [--prefix P]
               gamut schedule remove NAME --redis URL [--prefix P]
               gamut schedule pause  NAME --redis URL [--prefix P]
               gamut schedule resume NAME --redis URL [--prefix P]

        A schedule enqueues COMMAND as a job on its queue at every tick of a cron expression. Every 'gamut worker'
        serving the queue keeps it (no separate scheduler); one job is enqueued per tick however many run, with
        the id sched.NAME.yyyyMMddTHHmmssZ (the tick in UTC), which the command sees as $GAMUT_JOB_ID.

          --cron EXPR      5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first,
                           or @yearly @monthly @weekly @daily @hourly; e.g. '30 2 * * *', '*/10 * * * * *'
          --tz ZONE        the IANA time zone the expression is read in (default UTC), e.g. Europe/Berlin;
                           at spring-forward a tick in the skipped hour runs when the clocks jump, at fall-back
                           a tick in the repeated hour runs once
          --queue Q        the queue (default: default); NAME is unique across queues
          --misfire P      ticks more than 60 s late after an outage: once (default: they run as one job),
                           skip (dropped), each (each runs, the latest 100 at most)
          --replace        replace a schedule of that name (its last tick is kept: no tick runs twice)

        pause stops the ticks; resume goes on from now (ticks while paused do not run). remove leaves the jobs
        already enqueued.

        """;

    public static int Execute(IReadOnlyList<string> args) => RedisExit.Run("gamut schedule", () => Run(args));

    private static int Run(IReadOnlyList<string> args)
    {
        var redis = new RedisArgs { Logging = Microsoft.Extensions.Logging.LogLevel.Warning };
        string? verb = null, name = null, cron = null, zone = null, queue = null;
        var misfire = MisfirePolicy.Once;
        var replace = false;
        List<string>? command = null;
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--")
            {
                command = [.. args.Skip(i + 1)];
                break;
            }

            if (redis.TryTake(args, ref i))
            {
                continue;
            }

            switch (args[i])
            {
                case "-h" or "--help":
                    Console.Out.Write(Help);
                    return 0;
                case "--cron":
                    cron = RedisArgs.Value(args, ref i);
                    break;
                case "--tz":
                    zone = RedisArgs.Value(args, ref i);
                    break;
                case "--queue":
                    queue = RedisArgs.Queue("--queue", RedisArgs.Value(args, ref i));
                    break;
                case "--misfire":
                    var word = RedisArgs.Value(args, ref i);
                    misfire = word switch
                    {
                        "once" => MisfirePolicy.Once,
                        "skip" => MisfirePolicy.Skip,
                        "each" => MisfirePolicy.Each,
                        _ => throw new RedisUsageException($"--misfire '{word}': use once, skip or each"),
                    };
                    break;
                case "--replace":
                    replace = true;
                    break;
                case var a when a.StartsWith('-'):
                    throw new RedisUsageException($"unknown option '{a}'");
                case var a when verb is null:
                    verb = a is "add" or "list" or "remove" or "pause" or "resume" ? a : throw new RedisUsageException($"unknown action '{a}': use add, list, remove, pause or resume");
                    break;
                case var a when name is null && verb != "list":
                    name = a;
                    break;
                default:
                    throw new RedisUsageException($"unexpected argument '{args[i]}'{(verb == "add" ? " (the command goes after --)" : "")}");
            }
        }

        if (verb is null)
        {
            throw new RedisUsageException("say what to do: add, list, remove, pause or resume");
        }

        if (verb != "list" && name is null)
        {
            throw new RedisUsageException($"schedule {verb} needs the schedule's name");
        }

        if (name is not null && !ScheduleDefinition.IsValidName(name))
        {
            throw new RedisUsageException($"'{name}' is not a schedule name: use 1 to {ScheduleDefinition.MaxNameLength} ASCII letters, digits and . _ -");
        }

        ScheduleDefinition? definition = null;
        if (verb == "add")
        {
            definition = Define(name!, cron, zone, queue, misfire, command);
        }
        else if (cron is not null || zone is not null || queue is not null || replace || command is not null)
        {
            throw new RedisUsageException($"--cron, --tz, --queue, --misfire, --replace and a command go with add, not {verb}");
        }

        var options = redis.ToOptions("gamut schedule");
        return ExecuteAsync(options, verb, name, definition, replace).GetAwaiter().GetResult();
    }

    private static ScheduleDefinition Define(string name, string? cron, string? zone, string? queue, MisfirePolicy misfire, List<string>? command)
    {
        if (cron is null)
        {
            throw new RedisUsageException("schedule add needs --cron EXPR (e.g. --cron '*/5 * * * *')");
        }

        if (command is null || command.Count == 0 || command[0].Length == 0)
        {
            throw new RedisUsageException("schedule add needs the command to run, after --: gamut schedule add NAME --cron EXPR --redis URL -- COMMAND [ARGS...]");
        }

        var definition = ScheduleDefinition.ForCommand(name, cron, new CommandSpec { Executable = command[0], Arguments = command[1..] }).WithMisfire(misfire);
        if (zone is not null)
        {
            definition = definition.InZone(zone);
        }

        return queue is null ? definition : definition.OnQueue(queue);
    }

    private static async Task<int> ExecuteAsync(RedisOptions options, string verb, string? name, ScheduleDefinition? definition, bool replace)
    {
        await using var schedules = await RedisSchedules.ConnectAsync(options).ConfigureAwait(false);
        var o = Console.Out;
        switch (verb)
        {
            case "add":
                var change = await schedules.AddAsync(definition!, replace).ConfigureAwait(false);
                if (change == ScheduleChange.Exists)
                {
                    Console.Error.WriteLine($"gamut schedule: a schedule named '{name}' exists on the queue '{definition!.Queue}'; add --replace to replace it");
                    return 1;
                }

                var added = await schedules.GetAsync(name!).ConfigureAwait(false);
                o.WriteLine($"{(change == ScheduleChange.Created ? "added" : "replaced")} {name} on {definition!.Queue}: next tick {Time(added?.NextTick)}");
                return 0;
            case "list":
                List(o, await schedules.ListAsync().ConfigureAwait(false), options.KeyPrefix);
                return 0;
            default:
                var found = verb switch
                {
                    "remove" => await schedules.RemoveAsync(name!).ConfigureAwait(false),
                    "pause" => await schedules.PauseAsync(name!).ConfigureAwait(false),
                    _ => await schedules.ResumeAsync(name!).ConfigureAwait(false),
                };
                if (!found)
                {
                    Console.Error.WriteLine($"gamut schedule: no schedule named '{name}'");
                    return 1;
                }

                o.WriteLine($"{verb switch { "remove" => "removed", "pause" => "paused", _ => "resumed" }} {name}");
                return 0;
        }
    }

    private static void List(TextWriter o, IReadOnlyList<ScheduleInfo> list, string prefix)
    {
        if (list.Count == 0)
        {
            o.WriteLine($"no schedules under the prefix '{prefix}'");
            return;
        }

        string[] header = ["name", "queue", "cron", "zone", "misfire", "state", "last tick", "next tick", "jobs", "job"];
        var rows = list.Select(s => new[]
        {
            s.Name, s.Queue, s.Cron, s.TimeZone, s.Misfire.ToString().ToLowerInvariant(), s.Paused ? "paused" : "active",
            Time(s.LastTick), s.Paused ? "-" : Time(s.NextTick), s.Fired.ToString(CultureInfo.InvariantCulture), Job(s),
        }).ToList();
        var widths = header.Select((h, c) => Math.Max(h.Length, rows.Max(r => r[c].Length))).ToArray();
        o.WriteLine(string.Join("  ", header.Select((h, c) => h.PadRight(widths[c]))).TrimEnd());
        foreach (var r in rows)
        {
            o.WriteLine(string.Join("  ", r.Select((v, c) => v.PadRight(widths[c]))).TrimEnd());
        }
    }

    private static string Time(DateTimeOffset? t) => t is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "never";

    /// <summary>What a tick runs: a command's argv, or a .NET job's name.</summary>
    private static string Job(ScheduleInfo s)
    {
        if (s.JobName != CommandJob.Name)
        {
            return s.JobName;
        }

        try
        {
            using var doc = JsonDocument.Parse(s.Payload);
            var words = new List<string> { doc.RootElement.GetProperty("executable").GetString() ?? "" };
            if (doc.RootElement.TryGetProperty("arguments", out var a) && a.ValueKind == JsonValueKind.Array)
            {
                words.AddRange(a.EnumerateArray().Select(e => e.GetString() ?? ""));
            }

            return string.Join(" ", words.Select(w => w.Length == 0 || w.Any(char.IsWhiteSpace) ? $"'{w}'" : w));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return s.JobName;
        }
    }
}
