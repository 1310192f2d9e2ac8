using System.Text;
using Gamut.Cli.Run.Options;

namespace Gamut.Cli.Run.Inputs;

/// <summary>
/// <c>--pipe</c>: cuts standard input into blocks, one per job's stdin, the way GNU parallel does. A block is read
/// up to <c>--block</c> bytes and cut after its last whole record (a record ends with <c>--recend</c>, by default a
/// newline, and the next begins with <c>--recstart</c>); the rest starts the next block. A record longer than a
/// block makes its block longer. With <c>-N n</c> a block is n records whatever its size, with <c>-L n</c> a record
/// is n lines. What is left at the end of input is the last block. With <c>--header REGEX</c> (<c>:</c> is the first
/// line) the text the expression matches at the start of input is given again at the start of every block.
/// </summary>
internal sealed class PipeBlocks(Stream input, RunOptions options)
{
    private readonly byte[] _end = Encoding.UTF8.GetBytes(options.RecordEnd ?? (options.RecordStart is null ? "\n" : ""));
    private readonly byte[] _start = Encoding.UTF8.GetBytes(options.RecordStart ?? "");
    private readonly int _linesPerRecord = Math.Max(1, options.MaxLines ?? 1);
    private readonly int? _recordsPerBlock = options.RecordsPerJob;

    public IEnumerable<InputRecord> Records()
    {
        if (_end.Length == 0 && _start.Length == 0)
        {
            throw new UsageException("--recstart and --recend cannot both be empty");
        }

        var size = (int)Math.Min(options.BlockSize, Array.MaxLength / 2);
        var buffer = new byte[_recordsPerBlock is null ? size : 64 * 1024];
        var filled = 0;
        var eof = false;
        long seq = 0;
        byte[] header = [];
        var headerRead = options.Header is null;
        while (true)
        {
            // Fill up to the block size (more when no cut is found in it).
            while (!eof && filled < buffer.Length)
            {
                var read = input.Read(buffer, filled, buffer.Length - filled);
                if (read <= 0)
                {
                    eof = true;
                    break;
                }

                filled += read;
            }

            if (!headerRead)
            {
                headerRead = true;
                header = TakeHeader(buffer, ref filled);
                continue; // fill the block again: the header is not part of it
            }

            if (filled == 0)
            {
                yield break;
            }

            var cut = _recordsPerBlock is { } n ? CutAfterRecords(buffer.AsSpan(0, filled), Math.Max(1, n)) : LastCut(buffer.AsSpan(0, filled));
            if (cut <= 0 || (_recordsPerBlock is not null && cut < 0))
            {
                if (!eof)
                {
                    // No whole record (or not enough of them) yet: read more.
                    Array.Resize(ref buffer, buffer.Length * 2);
                    continue;
                }

                cut = filled;
            }

            yield return new InputRecord(++seq, [], header.Length == 0 ? buffer.AsSpan(0, cut).ToArray() : [.. header, .. buffer.AsSpan(0, cut)]);
            Buffer.BlockCopy(buffer, cut, buffer, 0, filled - cut);
            filled -= cut;
            if (buffer.Length > size && filled < size && _recordsPerBlock is null)
            {
                Array.Resize(ref buffer, size);
            }
        }
    }

    // The header: what the --header expression matches at the very start (":" is the first line), taken out.
    private byte[] TakeHeader(byte[] buffer, ref int filled)
    {
        var pattern = options.Header == ":" ? ".*\n" : options.Header!;
        System.Text.RegularExpressions.Regex regex;
        try
        {
            regex = new System.Text.RegularExpressions.Regex("^(?:" + pattern + ")", System.Text.RegularExpressions.RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--header '{options.Header}' is not a valid regular expression: {e.Message}");
        }

        // Latin-1 maps each byte to one char, so the match's length is its length in bytes.
        var match = regex.Match(Encoding.Latin1.GetString(buffer, 0, filled));
        if (!match.Success || match.Length == 0)
        {
            return [];
        }

        var header = buffer[..match.Length];
        Buffer.BlockCopy(buffer, match.Length, buffer, 0, filled - match.Length);
        filled -= match.Length;
        return header;
    }

    // The last place to cut: after the last whole record (records of _linesPerRecord lines). -1 when none.
    private int LastCut(ReadOnlySpan<byte> data)
    {
        if (_linesPerRecord == 1)
        {
            return LastBoundary(data);
        }

        var cuts = 0;
        var last = -1;
        var from = 0;
        while (NextBoundary(data, from) is var at and > 0)
        {
            if (++cuts % _linesPerRecord == 0)
            {
                last = at;
            }

            from = at;
        }

        return last;
    }

    // The cut after n records, or -1 when the data holds fewer (at the end of input: all of it).
    private int CutAfterRecords(ReadOnlySpan<byte> data, int n)
    {
        var from = 0;
        for (var i = 0; i < n * _linesPerRecord; i++)
        {
            var at = NextBoundary(data, from);
            if (at <= 0)
            {
                return -1;
            }

            from = at;
        }

        return from;
    }

    // A boundary is the place between a record's end and the next record's start (never at 0).
    private int NextBoundary(ReadOnlySpan<byte> data, int from)
    {
        var pattern = _end.Length == 0 ? _start : _end;
        var search = from;
        while (true)
        {
            var i = data[search..].IndexOf(pattern);
            if (i < 0)
            {
                return -1;
            }

            var at = search + i;
            var cut = _end.Length == 0 ? at : at + _end.Length;
            if (cut > 0 && (_end.Length == 0 || _start.Length == 0 || data[cut..].StartsWith(_start)))
            {
                return cut;
            }

            search = at + 1;
        }
    }

    private int LastBoundary(ReadOnlySpan<byte> data)
    {
        var pattern = _end.Length == 0 ? _start : _end;
        var end = data.Length;
        while (end > 0)
        {
            var at = data[..end].LastIndexOf(pattern);
            if (at < 0)
            {
                return -1;
            }

            var cut = _end.Length == 0 ? at : at + _end.Length;
            if (cut > 0 && (_end.Length == 0 || _start.Length == 0 || data[cut..].StartsWith(_start)))
            {
                return cut;
            }

            end = at + pattern.Length - 1;
        }

        return -1;
    }
}
