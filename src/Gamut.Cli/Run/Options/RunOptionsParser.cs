using System.Globalization;
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
    public static RunOptions Parse(IReadOnlyList<string> args)
    {
        var builder = new Builder();
        var i = 0;
        while (i < args.Count)
        {
            var arg = args[i];
            if (arg == "--")
            {
                i++;
                break;
            }

            if (IsSeparator(arg) || arg.Length < 2 || arg[0] != '-')
            {
                break;
            }

            i = arg.StartsWith("--", StringComparison.Ordinal) ? ParseLong(args, i, builder) : ParseShort(args, i, builder);
        }

        var command = new List<string>();
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

        if ((options.Resume || options.ResumeFailed) && options.JobLog is null)
        {
            throw new UsageException($"{(options.ResumeFailed ? "--resume-failed" : "--resume")} needs --joblog FILE to know which jobs already ran");
        }

        return options;
    }

    private static bool IsSeparator(string arg) => arg is ":::" or ":::+" or "::::" or "::::+";

    private static int ParseLong(IReadOnlyList<string> args, int i, Builder b)
    {
        var arg = args[i];
        string name;
        string? inline = null;
        var eq = arg.IndexOf('=', StringComparison.Ordinal);
        if (eq > 0)
        {
            name = arg[2..eq];
            inline = arg[(eq + 1)..];
        }
        else
        {
            name = arg[2..];
        }

        var next = i + 1;
        string Value()
        {
            if (inline is not null)
            {
                return inline;
            }

            if (next >= args.Count)
            {
                throw new UsageException($"option --{name} needs a value");
            }

            return args[next++];
        }

        void NoValue()
        {
            if (inline is not null)
            {
                throw new UsageException($"option --{name} takes no value (got '{inline}')");
            }
        }

        switch (name)
        {
            case "jobs" or "max-procs": b.Options = b.Options with { Jobs = JobsSpec.Parse(Value()) }; break;
            case "keep-order": NoValue(); b.Options = b.Options with { KeepOrder = true }; break;
            case "tag": NoValue(); b.Options = b.Options with { Tag = true }; break;
            case "tagstring" or "tag-string": b.Options = b.Options with { TagString = Value() }; break;
            case "dry-run" or "dryrun": NoValue(); b.Options = b.Options with { DryRun = true }; break;
            case "halt" or "halt-on-error": b.Options = b.Options with { Halt = HaltSpec.Parse(Value()) }; break;
            case "joblog": b.Options = b.Options with { JobLog = Value() }; break;
            case "resume": NoValue(); b.Options = b.Options with { Resume = true }; break;
            case "resume-failed": NoValue(); b.Options = b.Options with { ResumeFailed = true }; break;
            case "retries": b.Options = b.Options with { Attempts = Math.Max(1, Count("--retries", Value())) }; break;
            case "timeout": b.Options = b.Options with { Timeout = TimeoutSpec.Parse(Value()) }; break;
            case "delay": b.Options = b.Options with { DelaySeconds = NonNegative("--delay", Value()) }; break;
            case "grace": b.Options = b.Options with { GraceSeconds = NonNegative("--grace", Value()) }; break;
            case "shuf": NoValue(); b.Options = b.Options with { Shuffle = true }; break;
            case "line-buffer" or "linebuffer" or "lb": NoValue(); b.Options = b.Options with { Output = OutputMode.LineBuffer }; break;
            case "ungroup": NoValue(); b.Options = b.Options with { Output = OutputMode.Ungroup }; break;
            case "group": NoValue(); b.Options = b.Options with { Output = OutputMode.Group }; break;
            case "bar": NoValue(); b.Options = b.Options with { Bar = true }; break;
            case "eta": NoValue(); b.Options = b.Options with { Eta = true }; break;
            case "null": NoValue(); b.Options = b.Options with { NullSeparated = true }; break;
            case "arg-file": b.ArgFiles.Add(Value()); break;
            case "colsep": b.Options = b.Options with { ColumnSeparator = ColumnSeparator(Value()) }; break;
            case "json": NoValue(); b.Options = b.Options with { Json = true }; break;
            case "no-progress": NoValue(); b.Options = b.Options with { Progress = ProgressMode.Off }; break;
            case "verbose": NoValue(); b.Options = b.Options with { Verbose = true }; break;
            case "will-cite" or "no-notice" or "bibtex": NoValue(); break;
            case "help": NoValue(); b.Options = b.Options with { ShowHelp = true }; break;
            case "version": NoValue(); b.Options = b.Options with { ShowVersion = true }; break;
            default: throw new UsageException($"unknown option '--{name}'");
        }

        return next;
    }

    private static int ParseShort(IReadOnlyList<string> args, int i, Builder b)
    {
        var arg = args[i];
        var next = i + 1;
        for (var c = 1; c < arg.Length; c++)
        {
            var letter = arg[c];
            string Value()
            {
                // The rest of the word is the value (-j4); else the next word (-j 4).
                var rest = arg[(c + 1)..];
                c = arg.Length;
                if (rest.Length > 0)
                {
                    return rest;
                }

                if (next >= args.Count)
                {
                    throw new UsageException($"option -{letter} needs a value");
                }

                return args[next++];
            }

            switch (letter)
            {
                case 'j' or 'P': b.Options = b.Options with { Jobs = JobsSpec.Parse(Value()) }; break;
                case 'k': b.Options = b.Options with { KeepOrder = true }; break;
                case 'u': b.Options = b.Options with { Output = OutputMode.Ungroup }; break;
                case '0': b.Options = b.Options with { NullSeparated = true }; break;
                case 'a': b.ArgFiles.Add(Value()); break;
                case 'C': b.Options = b.Options with { ColumnSeparator = ColumnSeparator(Value()) }; break;
                case 'v': b.Options = b.Options with { Verbose = true }; break;
                case 'h': b.Options = b.Options with { ShowHelp = true }; break;
                default: throw new UsageException($"unknown option '-{letter}'{(arg.Length > 2 ? $" (in '{arg}')" : "")}");
            }
        }

        return next;
    }

    private static int Count(string option, string text)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return n;
        }

        throw new UsageException($"{option} '{text}' is not a whole number");
    }

    private static double NonNegative(string option, string text)
    {
        var seconds = Durations.ParseSeconds(option, text);
        if (seconds < 0)
        {
            throw new UsageException($"{option} '{text}' cannot be negative");
        }

        return seconds;
    }

    private static string ColumnSeparator(string pattern)
    {
        if (pattern.Length == 0)
        {
            throw new UsageException("--colsep needs a non-empty regular expression");
        }

        return pattern;
    }

    private sealed class Builder
    {
        public RunOptions Options { get; set; } = new();

        public List<string> ArgFiles { get; } = [];
    }
}
