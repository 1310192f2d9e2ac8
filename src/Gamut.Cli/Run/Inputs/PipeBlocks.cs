using System.Text;
using Gamut.Cli.Run.Options;

namespace Gamut.Cli.Run.Inputs;

/// <summary>
/// <c>--pipe</c>: cuts standard input into blocks, one per job's stdin, the way GNU parallel does. A block is read
/// up to <c>--block</c> bytes and cut after its last whole record (a record ends with <c>--recend</c>, by default a
/// newline, and the next begins with <c>--recstart</c>); the rest starts the next block. A record longer than a
/// block makes its block longer. With <c>-N n</c> a block is n records whatever its size, with <c>-L n</c> a record
/// is n lines. What is left at the end of input is the last block.
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

            yield return new InputRecord(++seq, [], buffer.AsSpan(0, cut).ToArray());
            Buffer.BlockCopy(buffer, cut, buffer, 0, filled - cut);
            filled -= cut;
            if (buffer.Length > size && filled < size && _recordsPerBlock is null)
            {
                Array.Resize(ref buffer, size);
            }
        }
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
