using Gamut.Cli.Run.Inputs;

namespace Gamut.Cli.Run.Options;

/// <summary>Everything <c>gamut run</c> was asked to do, as parsed from its command line. Immutable.</summary>
internal sealed record RunOptions
{
    /// <summary>The command words (joined with spaces into the command line); empty: each input is the command.</summary>
    public IReadOnlyList<string> Command { get; init; } = [];

    /// <summary>The input sources in GNU parallel's order (<c>-a</c> files first); empty: standard input.</summary>
    public IReadOnlyList<InputSourceSpec> Inputs { get; init; } = [];

    public JobsSpec Jobs { get; init; } = JobsSpec.Cores;

    public bool KeepOrder { get; init; }

    public bool Tag { get; init; }

    public string? TagString { get; init; }

    public bool DryRun { get; init; }

    public HaltSpec Halt { get; init; } = HaltSpec.Never;

    public string? JobLog { get; init; }

    public bool Resume { get; init; }

    public bool ResumeFailed { get; init; }

    /// <summary>The most attempts per job (<c>--retries N</c>); 1 when not given.</summary>
    public int Attempts { get; init; } = 1;

    public TimeoutSpec? Timeout { get; init; }

    /// <summary>Seconds between job starts (<c>--delay</c>).</summary>
    public double DelaySeconds { get; init; }

    public bool Shuffle { get; init; }

    public OutputMode Output { get; init; } = OutputMode.Group;

    public bool Bar { get; init; }

    public bool Eta { get; init; }

    /// <summary>Input records end with NUL instead of newline (<c>-0</c>).</summary>
    public bool NullSeparated { get; init; }

    /// <summary>Split each input record into columns on this regular expression (<c>--colsep</c>).</summary>
    public string? ColumnSeparator { get; init; }

    /// <summary>One JSON line per finished job on stdout instead of the jobs' output.</summary>
    public bool Json { get; init; }

    public ProgressMode Progress { get; init; } = ProgressMode.Auto;

    /// <summary>Seconds between SIGTERM and SIGKILL when a job is stopped.</summary>
    public double GraceSeconds { get; init; } = 2;

    /// <summary>Print each command line to stdout before its output (<c>-v</c>).</summary>
    public bool Verbose { get; init; }

    /// <summary><c>--joblog +FILE</c>: append to the log (no header line), as when resuming.</summary>
    public bool JobLogAppend { get; init; }

    /// <summary>Records per job (<c>-N</c>, <c>-n</c>); 1 when not given; 0 runs each job with no value.</summary>
    public int? RecordsPerJob { get; init; }

    /// <summary><c>-L n</c>/<c>-l</c>: n lines per job, a line ending in a blank continued by the next; with <c>--pipe</c>, n lines per record.</summary>
    public int? MaxLines { get; init; }

    /// <summary>Whether <c>-L</c>/<c>-l</c> was given.</summary>
    public bool LineRecords => MaxLines is not null;

    public ArgsMode ArgsMode { get; init; } = ArgsMode.Fixed;

    public ReplacementStrings Replacements { get; init; } = ReplacementStrings.Default;

    /// <summary>The bytes that end an input record (<c>-d</c>); null: newline (or NUL with <c>-0</c>).</summary>
    public byte[]? Delimiter { get; init; }

    /// <summary><c>--header REGEX</c>: the first record of each source names its columns ({name}).</summary>
    public string? Header { get; init; }

    /// <summary><c>--pipe</c>: standard input cut into blocks, one per job's stdin.</summary>
    public bool Pipe { get; init; }

    /// <summary><c>--block</c>: the bytes of a <c>--pipe</c> block (default 1 MiB).</summary>
    public long BlockSize { get; init; } = 1024 * 1024;

    public string? RecordStart { get; init; }

    public string? RecordEnd { get; init; }

    /// <summary><c>--results DIR</c>: each job's stdout, stderr and seq in files under DIR.</summary>
    public string? Results { get; init; }

    /// <summary><c>--semaphore</c> (or <c>gamut sem</c>): run the command once, holding one of -j slots of a named semaphore.</summary>
    public bool Semaphore { get; init; }

    public string? SemaphoreId { get; init; }

    /// <summary><c>--fg</c>: with <c>--semaphore</c>, wait for the command and give its exit status.</summary>
    public bool Foreground { get; init; }

    /// <summary><c>--wait</c>: with <c>--semaphore</c>, wait until every command holding the semaphore has ended.</summary>
    public bool WaitSemaphore { get; init; }

    /// <summary><c>--memfree SIZE</c>: start no job while less memory than this is available.</summary>
    public long? MemFree { get; init; }

    /// <summary><c>--load N</c>: start no job while more processes than this are running.</summary>
    public double? MaxLoad { get; init; }

    /// <summary><c>--retry-failed</c>: run again the failed jobs the joblog lists, with their logged command lines.</summary>
    public bool RetryFailed { get; init; }

    /// <summary><c>--termseq</c>: the signals that stop a job; null: SIGTERM, then SIGKILL after the grace period.</summary>
    public TermSeq? TermSeq { get; init; }

    /// <summary><c>-J</c>/<c>--profile</c> names.</summary>
    public IReadOnlyList<string> Profiles { get; init; } = [];

    /// <summary><c>--plain</c>: ignore profiles and <c>$PARALLEL</c>.</summary>
    public bool Plain { get; init; }

    /// <summary><c>-h</c>/<c>--help</c> was given.</summary>
    public bool ShowHelp { get; init; }

    /// <summary><c>--version</c> was given.</summary>
    public bool ShowVersion { get; init; }
}
