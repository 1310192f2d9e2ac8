using Gamut.Cli.Run.Options;

namespace Gamut.Cli.Run.Inputs;

/// <summary>
/// Groups input records into jobs, as GNU parallel does with several arguments per command line:
/// <c>-N n</c> (and <c>-n</c>) n records per job, <c>-N0</c> one record read and none given; <c>-L n</c> n lines,
/// a line ending in a blank continued by the next (<c>-l</c>: one); <c>-m</c>, <c>-X</c> and <c>--xargs</c> as
/// many as fit on one command line — and once the input has ended, <c>-m</c> and <c>-X</c> share what is left
/// out among the job slots (⌈left / slots⌉ per job), so every slot gets work. The jobs are numbered from 1 again.
/// </summary>
internal static class RecordBatcher
{
    /// <summary>The longest command line -m/-X/--xargs compose: close to what parallel 20221122 found on Linux.</summary>
    public const int MaxLineLength = 63_660;

    public static IEnumerable<InputRecord> Batch(IEnumerable<InputRecord> records, RunOptions options, int slots, Func<string, int>? valueCost, int baseLength)
    {
        if (options.LineRecords)
        {
            records = JoinContinuedLines(records);
        }

        if (options.ArgsMode == ArgsMode.Fixed)
        {
            return (options.RecordsPerJob ?? options.MaxLines) is { } n && n != 1 ? ByCount(records, n) : records;
        }

        return ByLength(records, options.ArgsMode != ArgsMode.Xargs, slots, options.RecordsPerJob ?? int.MaxValue, valueCost!, baseLength);
    }

    private static IEnumerable<InputRecord> ByCount(IEnumerable<InputRecord> records, int n)
    {
        long seq = 0;
        var values = new List<string>();
        var taken = 0;
        foreach (var r in records)
        {
            if (n > 0)
            {
                values.AddRange(r.Values);
            }

            if (++taken >= Math.Max(n, 1))
            {
                yield return new InputRecord(++seq, [.. values]);
                values.Clear();
                taken = 0;
            }
        }

        if (taken > 0)
        {
            yield return new InputRecord(++seq, [.. values]);
        }
    }

    private static IEnumerable<InputRecord> ByLength(IEnumerable<InputRecord> records, bool share, int slots, int cap, Func<string, int> cost, int baseLength)
    {
        long seq = 0;
        var pending = new List<string[]>();
        var length = baseLength;
        using var e = records.GetEnumerator();
        while (true)
        {
            var more = e.MoveNext();
            if (more)
            {
                var values = e.Current.Values;
                var add = values.Sum(cost);
                // Full: the job goes as it is; the record starts the next one.
                if (pending.Count > 0 && (length + add > MaxLineLength || pending.Count >= cap))
                {
                    yield return Join(++seq, pending);
                    pending.Clear();
                    length = baseLength;
                }

                pending.Add(values);
                length += add;
                continue;
            }

            if (pending.Count == 0)
            {
                yield break;
            }

            // The input ended: share the rest out among the slots.
            var size = share ? (int)Math.Ceiling(pending.Count / (double)Math.Max(1, slots)) : pending.Count;
            for (var i = 0; i < pending.Count; i += size)
            {
                yield return Join(++seq, pending.GetRange(i, Math.Min(size, pending.Count - i)));
            }

            yield break;
        }
    }

    private static InputRecord Join(long seq, List<string[]> records) => new(seq, [.. records.SelectMany(v => v)]);

    // -L/-l: a line that ends in a space or tab goes on with the next line.
    private static IEnumerable<InputRecord> JoinContinuedLines(IEnumerable<InputRecord> records)
    {
        string[]? held = null;
        long seq = 0;
        foreach (var r in records)
        {
            var values = held is null ? r.Values : [.. held[..^1], held[^1] + (r.Values.Length > 0 ? r.Values[0] : ""), .. r.Values.Skip(1)];
            if (values.Length > 0 && values[^1].Length > 0 && values[^1][^1] is ' ' or '\t')
            {
                held = values;
                continue;
            }

            held = null;
            yield return new InputRecord(++seq, values);
        }

        if (held is not null)
        {
            yield return new InputRecord(++seq, held);
        }
    }
}
