using System.Globalization;

namespace Gamut.Cli.Run.Options;

/// <summary>
/// The <c>-j</c> value as written: <c>N</c>, <c>N%</c> of the cores, <c>+N</c> or <c>-N</c> relative to the
/// cores, or <c>0</c> (as many as possible). Resolved against the core count when the run starts.
/// </summary>
internal readonly record struct JobsSpec(JobsSpec.Kind Form, double Value)
{
    /// <summary>How many jobs <c>-j 0</c> runs at once: GNU parallel's practical limit is the file handles, about 250.</summary>
    public const int Unlimited = 250;

    internal enum Kind { Cores, Absolute, Percent, Plus, Minus }

    /// <summary>The default: one job per core.</summary>
    public static JobsSpec Cores => new(Kind.Cores, 0);

    public static JobsSpec Parse(string text)
    {
        var s = text.Trim();
        Kind form = Kind.Absolute;
        if (s.EndsWith('%'))
        {
            form = Kind.Percent;
            s = s[..^1];
        }
        else if (s.StartsWith('+'))
        {
            form = Kind.Plus;
            s = s[1..];
        }
        else if (s.StartsWith('-'))
        {
            form = Kind.Minus;
            s = s[1..];
        }

        if (s.Length == 0 || !s.All(char.IsAsciiDigit) && !(form == Kind.Percent && double.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out _)))
        {
            throw new UsageException($"-j '{text}' is not a number of jobs (use N, N%, +N, -N or 0)");
        }

        var value = double.Parse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        return new JobsSpec(form, value);
    }

    /// <summary>The number of jobs to run at once on a machine with <paramref name="cores"/> cores.</summary>
    public int Resolve(int cores)
    {
        var n = Form switch
        {
            Kind.Cores => cores,
            Kind.Absolute => Value == 0 ? Unlimited : Value,
            Kind.Percent => Math.Floor(cores * Value / 100),
            Kind.Plus => cores + Value,
            Kind.Minus => cores - Value,
            _ => cores,
        };
        if (Form == Kind.Percent)
        {
            n = Math.Max(1, n);
        }

        if (n < 1)
        {
            throw new UsageException($"-j {ToString()} leaves no job slot on {cores} cores: cannot run any jobs");
        }

        return (int)Math.Min(n, 100_000);
    }

    public override string ToString() => Form switch
    {
        Kind.Cores => "(cores)",
        Kind.Percent => $"{Value.ToString(CultureInfo.InvariantCulture)}%",
        Kind.Plus => $"+{Value.ToString(CultureInfo.InvariantCulture)}",
        Kind.Minus => $"-{Value.ToString(CultureInfo.InvariantCulture)}",
        _ => Value.ToString(CultureInfo.InvariantCulture),
    };
}
