using Gamut.Cli.Run.Options;

namespace Gamut.Cli.Run.Inputs;

/// <summary>
/// Turns the input sources into the sequence of job records in GNU parallel's order: linked sources
/// (<c>:::+</c>) are paired one to one and stop at the shortest; unlinked groups combine as a cartesian product
/// whose last group varies fastest. The first group is read lazily (so <c>tail -f | gamut run</c> starts jobs as
/// lines arrive); the others are read whole, since every one of their values meets each value of the first.
/// Files are opened before any job starts, so a missing one fails the run at once.
/// </summary>
internal sealed class InputPlan : IDisposable
{
    private readonly List<List<Func<IEnumerable<string>>>> _groups = [];
    private readonly List<IDisposable> _open = [];
    private readonly ColumnSplitter? _columns;

    public InputPlan(RunOptions options, Stream stdin)
    {
        byte[] separator = options.Delimiter ?? (options.NullSeparated ? [0] : [(byte)'\n']);
        // With --header and no --colsep, parallel splits the header and the values on tabs.
        var columns = options.ColumnSeparator ?? (options.Header is null ? null : "\t");
        _columns = columns is null ? null : new ColumnSplitter(columns);
        var sources = options.Inputs.Count == 0 ? [InputSourceSpec.Stdin] : options.Inputs;
        var stdinUsed = false;
        foreach (var source in sources)
        {
            Func<IEnumerable<string>> values;
            switch (source.Kind)
            {
                case InputSourceKind.Arguments:
                    var list = source.Values;
                    values = () => list;
                    break;
                case InputSourceKind.File:
                    var file = Open(source.Path!);
                    _open.Add(file);
                    values = () => new RecordReader(file, separator).ReadAll();
                    break;
                default:
                    if (stdinUsed)
                    {
                        throw new UsageException("standard input can be an input source only once");
                    }

                    stdinUsed = true;
                    values = () => new RecordReader(stdin, separator).ReadAll();
                    break;
            }

            if (options.Header is not null)
            {
                values = TakeHeader(values);
            }

            if (source.Linked && _groups.Count > 0)
            {
                _groups[^1].Add(values);
            }
            else
            {
                _groups.Add([values]);
            }
        }

        ReadsStdin = stdinUsed;
    }

    /// <summary>With <c>--header</c>: the name of each value position (a source's first record, split into columns).</summary>
    public List<string> HeaderNames { get; } = [];

    /// <summary>Whether standard input is read for input records (then jobs cannot share it).</summary>
    public bool ReadsStdin { get; }

    /// <summary>The records, numbered from 1.</summary>
    public IEnumerable<InputRecord> Records()
    {
        var rest = new List<List<string[]>>(_groups.Count - 1);
        for (var g = 1; g < _groups.Count; g++)
        {
            rest.Add([.. Zip(_groups[g])]);
            if (rest[^1].Count == 0)
            {
                yield break;
            }
        }

        long seq = 0;
        var choice = new int[rest.Count];
        var values = new List<string>();
        foreach (var first in Zip(_groups[0]))
        {
            Array.Clear(choice);
            while (true)
            {
                values.Clear();
                Add(values, first);
                for (var g = 0; g < rest.Count; g++)
                {
                    Add(values, rest[g][choice[g]]);
                }

                yield return new InputRecord(++seq, [.. values]);

                // Odometer: the last group turns fastest.
                var k = rest.Count - 1;
                while (k >= 0 && ++choice[k] == rest[k].Count)
                {
                    choice[k] = 0;
                    k--;
                }

                if (k < 0)
                {
                    break;
                }
            }
        }
    }

    public void Dispose()
    {
        foreach (var d in _open)
        {
            d.Dispose();
        }
    }

    // Reads a source's first record now (the names must be known before the template is read) and gives the rest.
    private Func<IEnumerable<string>> TakeHeader(Func<IEnumerable<string>> values)
    {
        var e = values().GetEnumerator();
        _open.Add(e);
        if (e.MoveNext())
        {
            var before = HeaderNames.Count;
            Add(HeaderNames, [e.Current]);
            if (HeaderNames.Count == before)
            {
                HeaderNames.Add("");
            }
        }

        return () => Rest(e);
    }

    private static IEnumerable<string> Rest(IEnumerator<string> e)
    {
        while (e.MoveNext())
        {
            yield return e.Current;
        }
    }

    private void Add(List<string> values, string[] tuple)
    {
        foreach (var v in tuple)
        {
            if (_columns is null)
            {
                values.Add(v);
            }
            else
            {
                _columns.SplitInto(v, values);
            }
        }
    }

    private static IEnumerable<string[]> Zip(List<Func<IEnumerable<string>>> sources)
    {
        if (sources.Count == 1)
        {
            foreach (var v in sources[0]())
            {
                yield return [v];
            }

            yield break;
        }

        var enumerators = sources.Select(s => s().GetEnumerator()).ToArray();
        try
        {
            while (true)
            {
                var tuple = new string[enumerators.Length];
                for (var i = 0; i < enumerators.Length; i++)
                {
                    if (!enumerators[i].MoveNext())
                    {
                        yield break;
                    }

                    tuple[i] = enumerators[i].Current;
                }

                yield return tuple;
            }
        }
        finally
        {
            foreach (var e in enumerators)
            {
                e.Dispose();
            }
        }
    }

    private static FileStream Open(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1, FileOptions.None);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var reason = Directory.Exists(path) ? "it is a directory" : e switch
            {
                FileNotFoundException or DirectoryNotFoundException => "no such file or directory",
                UnauthorizedAccessException => "permission denied",
                _ => e.Message,
            };
            throw new UsageException($"cannot open input file '{path}': {reason}");
        }
    }
}
