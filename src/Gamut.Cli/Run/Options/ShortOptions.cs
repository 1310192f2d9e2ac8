using static Gamut.Cli.Run.Options.OptionValues;

namespace Gamut.Cli.Run.Options;

/// <summary>The short options of <c>gamut run</c>, bundled or not (<c>-kj4</c>, <c>-j 4</c>, <c>-N2</c>).</summary>
internal static class ShortOptions
{
    /// <summary>Applies the option word at <paramref name="i"/>; returns the index after it and its value.</summary>
    public static int Apply(IReadOnlyList<string> args, int i, RunOptionsParser.Builder b)
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

            // -l takes its count only when attached (-l2): -l alone is one line per job.
            int OptionalCount()
            {
                var rest = arg[(c + 1)..];
                c = arg.Length;
                return rest.Length == 0 ? 1 : Count("-l", rest);
            }

            var o = b.Options;
            b.Options = letter switch
            {
                'j' or 'P' => o with { Jobs = JobsSpec.Parse(Value()) },
                'k' => o with { KeepOrder = true },
                'u' => o with { Output = OutputMode.Ungroup },
                '0' => o with { NullSeparated = true },
                'a' => AddArgFile(b, Value()),
                'C' => o with { ColumnSeparator = ColumnSeparator(Value()) },
                'd' => o with { Delimiter = Delimiter(Value()) },
                'v' => o with { Verbose = true },
                'h' => o with { ShowHelp = true },
                'n' => o with { RecordsPerJob = Count("-n", Value()) },
                'N' => o with { RecordsPerJob = Count("-N", Value()) },
                'L' => o with { MaxLines = Count("-L", Value()) },
                'l' => o with { MaxLines = OptionalCount() },
                'I' => o with { Replacements = o.Replacements with { Value = NonEmpty("-I", Value()) } },
                'X' => o with { ArgsMode = ArgsMode.Context },
                'm' => o with { ArgsMode = ArgsMode.Multiple },
                'J' => o with { Profiles = [.. o.Profiles, NonEmpty("-J", Value())] },
                _ => throw new UsageException($"unknown option '-{letter}'{(arg.Length > 2 ? $" (in '{arg}')" : "")}"),
            };
        }

        return next;
    }

    private static RunOptions AddArgFile(RunOptionsParser.Builder b, string file)
    {
        b.ArgFiles.Add(file);
        return b.Options;
    }
}
