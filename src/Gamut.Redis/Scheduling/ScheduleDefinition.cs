using Gamut.Jobs;
using Gamut.Jobs.Commands;
using Gamut.Redis.Keys;
using Gamut.Redis.Scheduling;

namespace Gamut.Redis;

/// <summary>
/// A recurring job, as data: a name, a cron expression in a time zone, the queue its jobs go to, and the job — a
/// command (<c>gamut.command</c>) or a registered .NET job with its input. Immutable: each <c>With…</c> returns a
/// changed copy, checked at once (a bad cron expression, an unknown zone or a bad name throws
/// <see cref="ArgumentException"/> there, not in the worker). Store it with <see cref="RedisSchedules.AddAsync"/>;
/// every <see cref="RedisWorker"/> serving the queue then enqueues one job per tick, with the id
/// <c>sched.NAME.yyyyMMddTHHmmssZ</c> (the tick in UTC).
/// <code>
/// var nightly = ScheduleDefinition.ForCommand("backup", "30 2 * * *", new CommandSpec { Executable = "/usr/local/bin/backup" })
///     .InZone("Europe/Berlin")
///     .WithMisfire(MisfirePolicy.Skip);
/// </code>
/// </summary>
public sealed class ScheduleDefinition
{
    /// <summary>The longest schedule name (so the job id <c>sched.NAME.TICK</c> stays well within 200 characters).</summary>
    public const int MaxNameLength = 100;

    /// <summary>How many missed ticks <see cref="MisfirePolicy.Each"/> runs at most after an outage: the latest ones.</summary>
    public const int MaxCatchUp = 100;

    /// <summary>How late a tick may be and still run as usual; a tick later than this is missed (<see cref="MisfirePolicy"/>).</summary>
    public static readonly TimeSpan MisfireThreshold = TimeSpan.FromSeconds(60);

    private ScheduleDefinition(string name, string cron, string jobName, ReadOnlyMemory<byte> payload)
    {
        Name = name;
        Cron = cron;
        JobName = jobName;
        Payload = payload;
    }

    /// <summary>The schedule's name: 1 to 100 ASCII letters, digits and <c>. _ -</c>, unique within its queue.</summary>
    public string Name { get; }

    /// <summary>The cron expression: 5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, or a macro such as <c>@hourly</c>.</summary>
    public string Cron { get; }

    /// <summary>The IANA time zone the expression is read in (default <c>UTC</c>).</summary>
    public string TimeZone { get; private init; } = "UTC";

    /// <summary>The queue the jobs are enqueued to (default <c>default</c>); the workers serving it keep the schedule.</summary>
    public string Queue { get; private init; } = KeyNames.DefaultQueue;

    /// <summary>The registered job name each tick runs (<c>gamut.command</c> for a command).</summary>
    public string JobName { get; }

    /// <summary>The serialized input each tick's job gets (JSON with Gamut's default serializer).</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>What happens to ticks missed during an outage (default <see cref="MisfirePolicy.Once"/>).</summary>
    public MisfirePolicy Misfire { get; private init; } = MisfirePolicy.Once;

    /// <summary>
    /// The instant from which ticks count (ticks after it run); null (the default): when the schedule is added. An
    /// instant in the past makes the first scheduler catch up on the ticks since then, as the misfire policy says.
    /// </summary>
    public DateTimeOffset? StartAt { get; private init; }

    /// <summary>A schedule that runs a command (the built-in job <c>gamut.command</c>) at every tick.</summary>
    /// <param name="name">The schedule's name: 1 to 100 ASCII letters, digits and <c>. _ -</c>.</param>
    /// <param name="cron">The cron expression (5 fields, or 6 with seconds first).</param>
    /// <param name="command">The command.</param>
    /// <exception cref="ArgumentException">The name, the expression or the command is not valid.</exception>
    public static ScheduleDefinition ForCommand(string name, string cron, CommandSpec command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (string.IsNullOrEmpty(command.Executable))
        {
            throw new ArgumentException("the schedule's command is empty: give the program to run", nameof(command));
        }

        return ForJob(name, cron, CommandJob.Name, JsonJobSerializer.Default.SerializeToArray(command));
    }

    /// <summary>A schedule that runs a registered .NET job with the same input at every tick.</summary>
    /// <typeparam name="TIn">The job's input type.</typeparam>
    /// <typeparam name="TOut">The job's output type.</typeparam>
    /// <param name="name">The schedule's name: 1 to 100 ASCII letters, digits and <c>. _ -</c>.</param>
    /// <param name="cron">The cron expression (5 fields, or 6 with seconds first).</param>
    /// <param name="job">The job, by reference (it must be registered on the workers of the queue).</param>
    /// <param name="input">The input every tick's job gets.</param>
    /// <param name="serializer">The serializer the workers use (default: Gamut's JSON).</param>
    /// <exception cref="ArgumentException">The name or the expression is not valid.</exception>
    public static ScheduleDefinition ForJob<TIn, TOut>(string name, string cron, JobRef<TIn, TOut> job, TIn input, IJobSerializer? serializer = null) =>
        ForJob(name, cron, job.Name, (serializer ?? JsonJobSerializer.Default).SerializeToArray(input));

    /// <summary>A schedule that runs the job registered as <paramref name="jobName"/> with an already serialized input.</summary>
    /// <param name="name">The schedule's name: 1 to 100 ASCII letters, digits and <c>. _ -</c>.</param>
    /// <param name="cron">The cron expression (5 fields, or 6 with seconds first).</param>
    /// <param name="jobName">The registered job name.</param>
    /// <param name="payload">The serialized input (JSON text with the default serializer).</param>
    /// <exception cref="ArgumentException">The name, the expression or the job name is not valid.</exception>
    public static ScheduleDefinition ForJob(string name, string cron, string jobName, ReadOnlyMemory<byte> payload)
    {
        ValidateName(name);
        CronSchedule.ParseCron(cron);
        if (!JobNames.IsValid(jobName))
        {
            throw new ArgumentException($"'{jobName}' is not a valid job name: use 1 to {JobNames.MaxLength} ASCII letters, digits and . _ - : +", nameof(jobName));
        }

        return new ScheduleDefinition(name, cron.Trim(), jobName, payload);
    }

    /// <summary>This schedule read in the IANA time zone <paramref name="timeZone"/> (e.g. <c>Europe/Berlin</c>).</summary>
    /// <param name="timeZone">The zone's IANA id.</param>
    /// <exception cref="ArgumentException">No such zone.</exception>
    public ScheduleDefinition InZone(string timeZone)
    {
        CronSchedule.FindZone(timeZone);
        return Copy(TimeZone: timeZone);
    }

    /// <summary>This schedule enqueuing to <paramref name="queue"/>.</summary>
    /// <param name="queue">The queue: 1 to 100 ASCII letters, digits and <c>. _ -</c>.</param>
    /// <exception cref="ArgumentException">Not a valid queue name.</exception>
    public ScheduleDefinition OnQueue(string queue)
    {
        KeyNames.ValidateQueue(queue);
        return Copy(Queue: queue);
    }

    /// <summary>This schedule with the misfire policy <paramref name="policy"/>.</summary>
    /// <param name="policy">What happens to ticks missed during an outage.</param>
    public ScheduleDefinition WithMisfire(MisfirePolicy policy)
    {
        if (!Enum.IsDefined(policy))
        {
            throw new ArgumentOutOfRangeException(nameof(policy), policy, "not a misfire policy");
        }

        return Copy(Misfire: policy);
    }

    /// <summary>This schedule counting ticks from <paramref name="start"/> (in the past: the first scheduler catches up, as the misfire policy says).</summary>
    /// <param name="start">The instant after which ticks run.</param>
    public ScheduleDefinition StartingAt(DateTimeOffset start) => new(Name, Cron, JobName, Payload)
    {
        TimeZone = TimeZone,
        Queue = Queue,
        Misfire = Misfire,
        StartAt = start,
    };

    /// <summary>Throws <see cref="ArgumentException"/> when <paramref name="name"/> is not a valid schedule name.</summary>
    /// <param name="name">The candidate.</param>
    public static void ValidateName(string? name)
    {
        if (!IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid schedule name: use 1 to {MaxNameLength} ASCII letters, digits and . _ -", nameof(name));
        }
    }

    /// <summary>Whether <paramref name="name"/> is a valid schedule name (the alphabet of a queue name).</summary>
    /// <param name="name">The candidate.</param>
    public static bool IsValidName(string? name) => KeyNames.IsValidQueue(name);

    /// <summary>The job id of the tick at <paramref name="tickUtc"/>: <c>sched.NAME.yyyyMMddTHHmmssZ</c>.</summary>
    /// <param name="name">The schedule's name.</param>
    /// <param name="tickUtc">The tick, UTC.</param>
    public static string JobId(string name, DateTime tickUtc) =>
        $"sched.{name}.{tickUtc.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture)}";

    private ScheduleDefinition Copy(string? TimeZone = null, string? Queue = null, MisfirePolicy? Misfire = null) => new(Name, Cron, JobName, Payload)
    {
        TimeZone = TimeZone ?? this.TimeZone,
        Queue = Queue ?? this.Queue,
        Misfire = Misfire ?? this.Misfire,
        StartAt = StartAt,
    };
}
