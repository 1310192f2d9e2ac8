using static Gamut.Cli.Run.Options.OptionValues;

namespace Gamut.Cli.Run.Options;

/// <summary>The long options of <c>gamut run</c> (<c>--opt value</c> or <c>--opt=value</c>), GNU parallel's names and aliases.</summary>
internal static class LongOptions
{
    /// <summary>Applies the option at <paramref name="i"/>; returns the index after it and its value.</summary>
    public static int Apply(IReadOnlyList<string> args, int i, RunOptionsParser.Builder b)
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

        var o = b.Options;
        switch (name)
        {
            case "jobs" or "max-procs": o = o with { Jobs = JobsSpec.Parse(Value()) }; break;
            case "keep-order": NoValue(); o = o with { KeepOrder = true }; break;
            case "tag": NoValue(); o = o with { Tag = true }; break;
            case "tagstring" or "tag-string": o = o with { TagString = Value() }; break;
            case "dry-run" or "dryrun": NoValue(); o = o with { DryRun = true }; break;
            case "halt" or "halt-on-error": o = o with { Halt = HaltSpec.Parse(Value()) }; break;
            case "joblog" or "jl": o = JobLog(o, Value()); break;
            case "resume": NoValue(); o = o with { Resume = true }; break;
            case "resume-failed": NoValue(); o = o with { ResumeFailed = true }; break;
            case "retry-failed": NoValue(); o = o with { RetryFailed = true }; break;
            case "retries": o = o with { Attempts = Math.Max(1, Count("--retries", Value())) }; break;
            case "timeout": o = o with { Timeout = TimeoutSpec.Parse(Value()) }; break;
            case "delay": o = o with { DelaySeconds = NonNegative("--delay", Value()) }; break;
            case "grace": o = o with { GraceSeconds = NonNegative("--grace", Value()) }; break;
            case "termseq": o = o with { TermSeq = TermSeq.Parse(Value()) }; break;
            case "shuf": NoValue(); o = o with { Shuffle = true }; break;
            case "line-buffer" or "linebuffer" or "lb": NoValue(); o = o with { Output = OutputMode.LineBuffer }; break;
            case "ungroup": NoValue(); o = o with { Output = OutputMode.Ungroup }; break;
            case "group": NoValue(); o = o with { Output = OutputMode.Group }; break;
            case "bar": NoValue(); o = o with { Bar = true }; break;
            case "eta": NoValue(); o = o with { Eta = true }; break;
            case "null": NoValue(); o = o with { NullSeparated = true }; break;
            case "delimiter": o = o with { Delimiter = Delimiter(Value()) }; break;
            case "arg-file": b.ArgFiles.Add(Value()); break;
            case "colsep": o = o with { ColumnSeparator = ColumnSeparator(Value()) }; break;
            case "header": o = o with { Header = NonEmpty("--header", Value()) }; break;
            case "max-args": o = o with { RecordsPerJob = Count("--max-args", Value()) }; break;
            case "max-replace-args": o = o with { RecordsPerJob = Count("--max-replace-args", Value()) }; break;
            case "max-lines": o = o with { MaxLines = Count("--max-lines", Value()) }; break;
            case "xargs": NoValue(); o = o with { ArgsMode = ArgsMode.Xargs }; break;
            case "replace": o = o with { Replacements = o.Replacements with { Value = NonEmpty("--replace", Value()) } }; break;
            case "extensionreplace" or "er": o = o with { Replacements = o.Replacements with { NoExtension = NonEmpty("--er", Value()) } }; break;
            case "basenamereplace" or "bnr": o = o with { Replacements = o.Replacements with { Basename = NonEmpty("--bnr", Value()) } }; break;
            case "dirnamereplace" or "dnr": o = o with { Replacements = o.Replacements with { Dirname = NonEmpty("--dnr", Value()) } }; break;
            case "basenameextensionreplace" or "bner": o = o with { Replacements = o.Replacements with { BasenameNoExtension = NonEmpty("--bner", Value()) } }; break;
            case "seqreplace": o = o with { Replacements = o.Replacements with { Sequence = NonEmpty("--seqreplace", Value()) } }; break;
            case "slotreplace": o = o with { Replacements = o.Replacements with { Slot = NonEmpty("--slotreplace", Value()) } }; break;
            case "env": NonEmpty("--env", Value()); break; // Local jobs inherit the whole environment already.
            case "pipe" or "spreadstdin": NoValue(); o = o with { Pipe = true }; break;
            case "block" or "block-size" or "bs": o = o with { BlockSize = Positive("--block", Sizes.Parse("--block", Value())) }; break;
            case "recstart": o = o with { RecordStart = Value() }; break;
            case "recend": o = o with { RecordEnd = Value() }; break;
            case "results" or "res": o = o with { Results = Results(Value()) }; break;
            case "semaphore": NoValue(); o = o with { Semaphore = true }; break;
            case "semaphorename" or "id": o = o with { SemaphoreId = NonEmpty("--id", Value()) }; break;
            case "fg": NoValue(); o = o with { Foreground = true }; break;
            case "bg": NoValue(); o = o with { Foreground = false }; break;
            case "wait": NoValue(); o = o with { WaitSemaphore = true }; break;
            case "memfree": o = o with { MemFree = Sizes.Parse("--memfree", Value()) }; break;
            case "load": o = o with { MaxLoad = Load(Value()) }; break;
            case "profile": o = o with { Profiles = [.. o.Profiles, NonEmpty("--profile", Value())] }; break;
            case "plain": NoValue(); o = o with { Plain = true }; break;
            case "json": NoValue(); o = o with { Json = true }; break;
            case "no-progress": NoValue(); o = o with { Progress = ProgressMode.Off }; break;
            case "verbose": NoValue(); o = o with { Verbose = true }; break;
            case "will-cite" or "no-notice" or "bibtex": NoValue(); break;
            case "help": NoValue(); o = o with { ShowHelp = true }; break;
            case "version": NoValue(); o = o with { ShowVersion = true }; break;
            default: throw new UsageException($"unknown option '--{name}'");
        }

        b.Options = o;
        return next;
    }

    /// <summary><c>--joblog FILE</c>, or <c>+FILE</c> to append.</summary>
    public static RunOptions JobLog(RunOptions o, string value) =>
        value.Length > 1 && value[0] == '+'
            ? o with { JobLog = value[1..], JobLogAppend = true }
            : o with { JobLog = NonEmpty("--joblog", value), JobLogAppend = false };

    private static long Positive(string option, long value) =>
        value > 0 ? value : throw new UsageException($"{option} must be more than zero bytes");

    private static string Results(string value)
    {
        NonEmpty("--results", value);
        if (value.EndsWith(".csv", StringComparison.Ordinal) || value.EndsWith(".tsv", StringComparison.Ordinal) || value.EndsWith(".json", StringComparison.Ordinal))
        {
            throw new UsageException($"--results '{value}': CSV, TSV and JSON result files are not supported; give a directory (or use --json)");
        }

        return value;
    }

    private static double Load(string text)
    {
        var s = text.EndsWith('%') ? text[..^1] : text;
        if (!double.TryParse(s, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var value) || value <= 0)
        {
            throw new UsageException($"--load '{text}' is not a positive number (or N% of the cores)");
        }

        return text.EndsWith('%') ? value * Environment.ProcessorCount / 100 : value;
    }
}
