using Cronos;

namespace Gamut.Redis.Scheduling;

/// <summary>
/// A parsed cron expression in its time zone: the next tick after an instant, and the ticks in a span. Cronos does
/// the calendar work, daylight-saving changes included: a tick that falls into the hour skipped at spring-forward
/// runs at the moment the clocks jump (so none is lost); a tick in the hour repeated at fall-back runs once, in the
/// first pass, unless the expression is an interval of minutes, seconds or hours within that hour (<c>*/15</c>),
/// which runs in both passes (real time went on). Every instant here is UTC.
/// </summary>
internal sealed class CronSchedule
{
    private CronSchedule(CronExpression expression, TimeZoneInfo zone)
    {
        Expression = expression;
        Zone = zone;
    }

    public CronExpression Expression { get; }

    public TimeZoneInfo Zone { get; }

    /// <summary>Parses <paramref name="cron"/> (5 fields, or 6 with seconds first, or a macro like <c>@daily</c>) in the IANA zone <paramref name="timeZone"/>.</summary>
    /// <exception cref="ArgumentException">The expression or the zone is not valid (the message says which, in Gamut's words).</exception>
    public static CronSchedule Parse(string cron, string timeZone) => new(ParseCron(cron), FindZone(timeZone));

    /// <summary>Parses a cron expression: five fields (minute hour day-of-month month day-of-week), six with seconds first, or a macro.</summary>
    /// <exception cref="ArgumentException">Not a valid expression.</exception>
    public static CronExpression ParseCron(string cron)
    {
        if (string.IsNullOrWhiteSpace(cron))
        {
            throw new ArgumentException("the cron expression is empty: use 5 fields (minute hour day month weekday), or 6 with seconds first", nameof(cron));
        }

        var fields = cron.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        try
        {
            return fields == 6 ? CronExpression.Parse(cron, CronFormat.IncludeSeconds) : CronExpression.Parse(cron, CronFormat.Standard);
        }
        catch (CronFormatException e)
        {
            // Cronos says "The given cron expression has an invalid format. Minutes: Value must be …": keep what names the field.
            const string Preamble = "The given cron expression has an invalid format. ";
            var detail = e.Message.StartsWith(Preamble, StringComparison.Ordinal) ? e.Message[Preamble.Length..].TrimEnd('.') : e.Message.TrimEnd('.');
            var why = fields is 5 or 6 || cron.TrimStart().StartsWith('@') ? detail.ToLowerInvariant() : $"it has {fields} fields";
            throw new ArgumentException($"'{cron}' is not a valid cron expression ({why}): use 5 fields (minute hour day month weekday), or 6 with seconds first", nameof(cron), e);
        }
    }

    /// <summary>The time zone named by an IANA id (<c>Europe/Berlin</c>), or UTC for <c>UTC</c>.</summary>
    /// <exception cref="ArgumentException">No such zone on this machine.</exception>
    public static TimeZoneInfo FindZone(string timeZone)
    {
        if (string.IsNullOrWhiteSpace(timeZone))
        {
            throw new ArgumentException("the time zone is empty: give an IANA id such as UTC or Europe/Berlin", nameof(timeZone));
        }

        if (timeZone is "UTC" or "Etc/UTC")
        {
            return TimeZoneInfo.Utc;
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new ArgumentException($"unknown time zone '{timeZone}': give an IANA id such as UTC or Europe/Berlin (the machine's tz database has no such zone)", nameof(timeZone), e);
        }
    }

    /// <summary>The first tick strictly after <paramref name="afterUtc"/>, or null when the expression never matches again.</summary>
    public DateTime? Next(DateTime afterUtc) => Expression.GetNextOccurrence(afterUtc, Zone, inclusive: false);

    /// <summary>The ticks in (<paramref name="fromUtc"/>, <paramref name="toUtc"/>], oldest first.</summary>
    public IEnumerable<DateTime> Between(DateTime fromUtc, DateTime toUtc) =>
        fromUtc >= toUtc ? [] : Expression.GetOccurrences(fromUtc, toUtc, Zone, fromInclusive: false, toInclusive: true);

    /// <summary>
    /// The latest <paramref name="count"/> ticks in (<paramref name="fromUtc"/>, <paramref name="toUtc"/>], oldest
    /// first, found by looking back in windows that double, so a long gap in a frequent schedule is never enumerated whole.
    /// </summary>
    public List<DateTime> Latest(DateTime fromUtc, DateTime toUtc, int count)
    {
        if (count <= 0 || fromUtc >= toUtc)
        {
            return [];
        }

        var window = TimeSpan.FromHours(1);
        while (true)
        {
            var start = toUtc - fromUtc <= window ? fromUtc : toUtc - window;
            var ticks = Between(start, toUtc).ToList();
            if (ticks.Count >= count || start == fromUtc)
            {
                return ticks.Count > count ? ticks.GetRange(ticks.Count - count, count) : ticks;
            }

            window += window;
        }
    }
}
