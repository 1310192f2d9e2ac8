using System.Globalization;
using System.Text;
using Gamut.Cli.Run.Execution;
using Gamut.Cli.Run.Options;

namespace Gamut.Cli.Run.Output;

/// <summary>
/// <c>--results DIR</c>: each finished job's output in files, laid out as GNU parallel lays them out —
/// <c>DIR/1/VALUE1/2/VALUE2/…/stdout</c>, <c>stderr</c> and <c>seq</c> (the job's number, no newline). The
/// names are the source numbers, or the <c>--header</c> column names; in a value <c>\</c> becomes <c>\\</c>,
/// a tab <c>\t</c>, NUL <c>\0</c> and <c>/</c> <c>\_</c>. Nothing is printed (as parallel 20221122 does). The
/// files are written by a few threads of their own — the scheduler's loop never waits on the file system, and a
/// slow disk's latency overlaps (parallel's jobs write their files themselves, two or more at a time);
/// <see cref="Complete"/> waits for the last of them and reports the first failure.
/// </summary>
internal sealed class ResultsWriter
{
    private readonly string _root;
    private readonly IReadOnlyList<string> _headerNames;
    private const int Writers = 4;
    private readonly System.Threading.Channels.Channel<FinishedJob> _queue = System.Threading.Channels.Channel.CreateUnbounded<FinishedJob>(new() { SingleReader = false });
    private readonly Thread[] _threads = new Thread[Writers];
    private Exception? _failure;

    public ResultsWriter(string root, IReadOnlyList<string> headerNames)
    {
        _root = root;
        _headerNames = headerNames;
        for (var i = 0; i < Writers; i++)
        {
            _threads[i] = new Thread(WriteAll) { IsBackground = true, Name = "gamut-results" };
            _threads[i].Start();
        }
    }

    /// <summary>Queues a finished job's files.</summary>
    public void Write(FinishedJob job) => _queue.Writer.TryWrite(job);

    /// <summary>Waits until every queued job's files are written; throws the first failure.</summary>
    public void Complete()
    {
        _queue.Writer.TryComplete();
        foreach (var thread in _threads)
        {
            thread.Join();
        }

        if (_failure is not null)
        {
            throw new UsageException($"cannot write --results under '{_root}': {_failure.Message}");
        }
    }

    private void WriteAll()
    {
        var reader = _queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (reader.TryRead(out var job))
            {
                if (Volatile.Read(ref _failure) is null)
                {
                    try
                    {
                        WriteFiles(job);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        Interlocked.CompareExchange(ref _failure, e, null);
                    }
                }
            }
        }
    }

    private void WriteFiles(FinishedJob job)
    {
        var dir = Directory(job.Job.Values);
        System.IO.Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "stdout"), job.Outcome.Stdout);
        File.WriteAllBytes(Path.Combine(dir, "stderr"), job.Outcome.Stderr);
        File.WriteAllText(Path.Combine(dir, "seq"), job.Job.Seq.ToString(CultureInfo.InvariantCulture));
    }

    private string Directory(IReadOnlyList<string> values)
    {
        var sb = new StringBuilder(_root);
        for (var i = 0; i < values.Count; i++)
        {
            var name = i < _headerNames.Count && _headerNames[i].Length > 0 ? _headerNames[i] : (i + 1).ToString(CultureInfo.InvariantCulture);
            sb.Append('/').Append(name).Append('/');
            foreach (var c in values[i])
            {
                sb.Append(c switch
                {
                    '\\' => "\\\\",
                    '\t' => "\\t",
                    '\0' => "\\0",
                    '/' => "\\_",
                    _ => c.ToString(),
                });
            }
        }

        return sb.ToString();
    }
}
