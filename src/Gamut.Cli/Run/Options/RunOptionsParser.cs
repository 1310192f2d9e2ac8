using Gamut.Cli.Run.Inputs;

namespace Gamut.Cli.Run.Options;

/// <summary>
/// Reads <c>gamut run</c>'s command line the way GNU parallel reads its own: options first (short ones may be
/// bundled, <c>-j4</c>, <c>-kj4</c>; long ones take <c>--opt value</c> or <c>--opt=value</c>), then the command
/// words up to the first input separator, then the input sources (<c>:::</c>, <c>:::+</c>, <c>::::</c>,
/// <c>::::+</c>). Option parsing stops at the first word that is not an option, so the command's own options
/// (<c>gamut run grep -v x</c>) stay with the command. Hand-written: no reflection, nothing to load at start-up.
/// </summary>
internal static class RunOptionsParser
{
    public static RunOptions Parse(IReadOnlyList<string> args) => Parse(args, []);

    /// <summary>
    /// Parses the command line after the option words of <paramref name="preambles"/> (profiles, <c>$PARALLEL</c>),
    /// each read on its own as parallel does; words of a preamble that are not options go before the command.
    /// </summary>
    public static RunOptions Parse(IReadOnlyList<string> args, IReadOnlyList<IReadOnlyList<string>> preambles)
    {
        var builder = new Builder();
        var prefix = new List<string>();
        foreach (var preamble in preambles)
        {
            var end = ParseOptions(preamble, builder);
            prefix.AddRange(preamble.Skip(end));
        }

        var i = ParseOptions(args, builder);
        var command = new List<string>(prefix);
        while (i < args.Count && !IsSeparator(args[i]))
        {
            command.Add(args[i++]);
        }

        var sources = new List<InputSourceSpec>(builder.ArgFiles.Select(f => InputSourceSpec.File(f, linked: false)));
        while (i < args.Count)
        {
            var separator = args[i++];
            var values = new List<string>();
            while (i < args.Count && !IsSeparator(args[i]))
            {
                values.Add(args[i++]);
            }

            var linked = separator.EndsWith('+');
            if (linked && sources.Count == 0)
            {
                throw new UsageException($"'{separator}' links to the input source before it, and there is none");
            }

            if (separator.StartsWith("::::", StringComparison.Ordinal))
            {
                if (values.Count == 0)
                {
                    throw new UsageException($"'{separator}' needs at least one file name");
                }

                // Several files after one :::: are several sources; only the first is linked by ::::+.
                for (var f = 0; f < values.Count; f++)
                {
                    sources.Add(InputSourceSpec.File(values[f], linked && f == 0));
                }
            }
            else
            {
                sources.Add(InputSourceSpec.Arguments(values, linked));
            }
        }

        var options = builder.Options with { Command = command, Inputs = sources };
        if (options.Resume && options.ResumeFailed)
        {
            options = options with { Resume = false };
        }

        if (options.RetryFailed && options.JobLog is null)
        {
            throw new UsageException("--retry-failed needs --joblog FILE to know which jobs failed");
        }

        if ((options.Resume || options.ResumeFailed) && options.JobLog is null)
        {
            throw new UsageException($"{(options.ResumeFailed ? "--resume-failed" : "--resume")} needs --joblog FILE to know which jobs already ran");
        }

        return options;
    }

    /// <summary>Reads option words from the start of <paramref name="args"/>; returns the index of the first word that is not one.</summary>
    public static int ParseOptions(IReadOnlyList<string> args, Builder builder)
    {
        var i = 0;
        while (i < args.Count)
        {
            var arg = args[i];
            if (arg == "--")
            {
                return i + 1;
            }

            if (IsSeparator(arg) || arg.Length < 2 || arg[0] != '-')
            {
                break;
            }

            i = arg.StartsWith("--", StringComparison.Ordinal) ? LongOptions.Apply(args, i, builder) : ShortOptions.Apply(args, i, builder);
        }

        return i;
    }

    private static bool IsSeparator(string arg) => arg is ":::" or ":::+" or "::::" or "::::+";

    /// <summary>The options being read, and the <c>-a</c> files in order.</summary>
    internal sealed class Builder
    {
        public RunOptions Options { get; set; } = new();

        public List<string> ArgFiles { get; } = [];
    }
}
