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

    /// <summary><c>-h</c>/<c>--help</c> was given.</summary>
    public bool ShowHelp { get; init; }

    /// <summary><c>--version</c> was given.</summary>
    public bool ShowVersion { get; init; }
}
