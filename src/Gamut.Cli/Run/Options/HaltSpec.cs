using System.Globalization;

namespace Gamut.Cli.Run.Options;

/// <summary>When to stop: <c>--halt when,why=limit</c> as GNU parallel reads it.</summary>
/// <param name="When">Never, soon (start no new jobs) or now (stop the running ones too).</param>
/// <param name="Why">What is counted: failed, succeeded or finished jobs.</param>
/// <param name="Count">The number that triggers the halt, when given as a count.</param>
/// <param name="Percent">The percentage of all jobs that triggers it, when given as a percentage.</param>
internal sealed record HaltSpec(HaltWhen When, HaltWhy Why, int? Count, double? Percent)
{
    public static HaltSpec Never { get; } = new(HaltWhen.Never, HaltWhy.Fail, null, null);

    public bool IsNever => When == HaltWhen.Never;

    /// <summary>Parses <c>never</c>, <c>soon|now,fail|success|done=N|N%</c>, and the old forms <c>0 1 2 -1 -2 N%</c>.</summary>
    public static HaltSpec Parse(string text)
    {
        var spec = text switch
        {
            "0" => "never",
            "1" => "soon,fail=1",
            "2" => "now,fail=1",
            "-1" => "soon,success=1",
            "-2" => "now,success=1",
            _ => text,
        };
        if (spec.EndsWith('%') && spec.Length > 1 && spec[..^1].All(char.IsAsciiDigit))
        {
            spec = "soon,fail=" + spec;
        }

        var parts = spec.Split(',', '=');
        var when = parts[0] switch
        {
            "never" => HaltWhen.Never,
            "soon" => HaltWhen.Soon,
            "now" => HaltWhen.Now,
            _ => throw new UsageException($"--halt '{text}': it must start with never, soon or now (e.g. --halt now,fail=1)"),
        };
        if (when == HaltWhen.Never)
        {
            return Never;
        }

        if (parts.Length != 3)
        {
            throw new UsageException($"--halt '{text}': expected {parts[0]},fail=N, {parts[0]},success=N or {parts[0]},done=N (N may be a percentage)");
        }

        var why = parts[1] switch
        {
            "fail" => HaltWhy.Fail,
            "success" => HaltWhy.Success,
            "done" => HaltWhy.Done,
            _ => throw new UsageException($"--halt '{text}': '{parts[1]}' must be fail, success or done"),
        };
        var limit = parts[2];
        if (limit.EndsWith('%') && limit.Length > 1 && limit[..^1].All(char.IsAsciiDigit))
        {
            return new HaltSpec(when, why, null, double.Parse(limit[..^1], CultureInfo.InvariantCulture));
        }

        if (limit.Length > 0 && limit.Length < 10 && limit.All(char.IsAsciiDigit))
        {
            return new HaltSpec(when, why, int.Parse(limit, CultureInfo.InvariantCulture), null);
        }

        throw new UsageException($"--halt '{text}': '{limit}' must be a number of jobs or a percentage like 10%");
    }
}

internal enum HaltWhen { Never, Soon, Now }

internal enum HaltWhy { Fail, Success, Done }
