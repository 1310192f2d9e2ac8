using Gamut.Cli.Run.Options;

namespace Gamut.Cli.Run.JobLog;

/// <summary>
/// What an earlier run's joblog says, for <c>--resume</c> (skip every job it lists) and <c>--resume-failed</c>
/// (skip the jobs it lists as succeeded: exit value 0 and no signal; run the failed ones again). Like GNU
/// parallel, only the sequence numbers are matched: the inputs and command must be the same as last time.
/// </summary>
internal sealed class JobLogHistory
{
    private readonly HashSet<long> _done = [];

    public static JobLogHistory Empty { get; } = new();

    public int Count => _done.Count;

    public bool AlreadyRan(long seq) => _done.Contains(seq);

    /// <summary>
    /// <c>--retry-failed</c>: the jobs the log lists as failed and never as succeeded, with their logged command
    /// lines, in sequence order.
    /// </summary>
    public static List<(long Seq, string Command)> FailedCommands(string path)
    {
        var failed = new SortedDictionary<long, string>();
        var succeeded = new HashSet<long>();
        if (File.Exists(path))
        {
            foreach (var (seq, exit, signal, command) in Lines(path))
            {
                if (exit == 0 && signal == 0)
                {
                    succeeded.Add(seq);
                }
                else
                {
                    failed[seq] = command.Replace('\0', '\n');
                }
            }
        }

        return failed.Where(f => !succeeded.Contains(f.Key)).Select(f => (f.Key, f.Value)).ToList();
    }

    public static JobLogHistory Read(string path, bool failedOnly)
    {
        var history = new JobLogHistory();
        if (!File.Exists(path))
        {
            return history;
        }

        foreach (var (seq, exit, signal, _) in Lines(path))
        {
            if (!failedOnly || (exit == 0 && signal == 0))
            {
                history._done.Add(seq);
            }
        }

        return history;
    }

    private static IEnumerable<(long Seq, int Exit, int Signal, string Command)> Lines(string path)
    {
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0 || line.StartsWith("Seq\tHost\t", StringComparison.Ordinal))
            {
                continue;
            }

            var cols = line.Split('\t', 9);
            if (cols.Length < 9 || !long.TryParse(cols[0], out var seq) || !int.TryParse(cols[6], out var exit) || !int.TryParse(cols[7], out var signal))
            {
                throw new UsageException($"--joblog '{path}' line {lineNumber} is not a joblog line (Seq Host Starttime JobRuntime Send Receive Exitval Signal Command)");
            }

            yield return (seq, exit, signal, cols[8]);
        }
    }
}
