using System.Collections.Immutable;

namespace Gamut.Cli.Measure;

/// <summary>A bad <c>gamut measure</c> command line: one line on stderr, exit 255 like every usage error.</summary>
internal sealed class MeasureUsageException(string message) : Exception(message);

/// <summary>The parsed command line of <c>gamut measure</c>.</summary>
internal sealed record MeasureArgs
{
    /// <summary>Every section, in the order they run.</summary>
    public static readonly ImmutableArray<string> AllSections = ["start", "switch", "ipc", "executors", "breakeven"];

    /// <summary>The sections to run.</summary>
    public ImmutableArray<string> Sections { get; init; } = AllSections;

    /// <summary>How much to measure: quick, full, or (hidden, for tests) smoke.</summary>
    public Budget Budget { get; init; } = Budget.Full;

    /// <summary>Print the report as JSON on stdout instead of the table.</summary>
    public bool Json { get; init; }

    /// <summary>Also write a self-contained HTML page here.</summary>
    public string? Html { get; init; }

    /// <summary>A Redis to include in the figures (the ipc and executors sections).</summary>
    public string? Redis { get; init; }

    /// <summary>Show the live progress on stderr (only ever on a terminal).</summary>
    public bool Progress { get; init; } = true;

    /// <summary>Whether <paramref name="section"/> was asked for.</summary>
    public bool Wants(string section) => Sections.Contains(section);

    /// <summary>Parses the arguments after <c>measure</c>; null when help was asked for (and printed).</summary>
    public static MeasureArgs? Parse(IReadOnlyList<string> args)
    {
        var parsed = new MeasureArgs();
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "-h" or "--help":
                    return null;
                case "--quick":
                    parsed = parsed with { Budget = Budget.Quick };
                    break;
                case "--smoke":
                    // Hidden: the least that still runs every code path once, for the tests.
                    parsed = parsed with { Budget = Budget.Smoke };
                    break;
                case "--json":
                    parsed = parsed with { Json = true };
                    break;
                case "--no-progress":
                    parsed = parsed with { Progress = false };
                    break;
                case "--html":
                    parsed = parsed with { Html = Value(args, ref i) };
                    break;
                case var a when a.StartsWith("--html=", StringComparison.Ordinal):
                    parsed = parsed with { Html = NonEmpty("--html", a["--html=".Length..]) };
                    break;
                case "--redis":
                    parsed = parsed with { Redis = Value(args, ref i) };
                    break;
                case var a when a.StartsWith("--redis=", StringComparison.Ordinal):
                    parsed = parsed with { Redis = NonEmpty("--redis", a["--redis=".Length..]) };
                    break;
                case "--only":
                    parsed = parsed with { Sections = Only(Value(args, ref i)) };
                    break;
                case var a when a.StartsWith("--only=", StringComparison.Ordinal):
                    parsed = parsed with { Sections = Only(a["--only=".Length..]) };
                    break;
                default:
                    throw new MeasureUsageException(args[i].StartsWith('-')
                        ? $"unknown option '{args[i]}'"
                        : $"unexpected argument '{args[i]}' (measure takes options only)");
            }
        }

        return parsed;
    }

    private static ImmutableArray<string> Only(string list)
    {
        var names = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (names.Length == 0)
        {
            throw new MeasureUsageException($"--only needs sections: {string.Join(',', AllSections)}");
        }

        foreach (var n in names)
        {
            if (!AllSections.Contains(n))
            {
                throw new MeasureUsageException($"--only: unknown section '{n}' (sections: {string.Join(',', AllSections)})");
            }
        }

        // Sections always run in their own order, whatever order they were named in.
        return [.. AllSections.Where(names.Contains)];
    }

    private static string Value(IReadOnlyList<string> args, ref int i)
    {
        var option = args[i];
        if (i + 1 >= args.Count)
        {
            throw new MeasureUsageException($"{option} needs a value");
        }

        return NonEmpty(option, args[++i]);
    }

    private static string NonEmpty(string option, string value) =>
        value.Length > 0 ? value : throw new MeasureUsageException($"{option} needs a value");
}
