namespace Gamut.Cli.Run.Options;

/// <summary>How job output reaches gamut's stdout and stderr.</summary>
internal enum OutputMode
{
    /// <summary>Each job's output in one piece when it ends (GNU parallel's default, <c>--group</c>).</summary>
    Group,

    /// <summary>Whole lines as they come, never half a line from two jobs (<c>--line-buffer</c>).</summary>
    LineBuffer,

    /// <summary>Straight through as the jobs write it, mixed (<c>-u</c>, <c>--ungroup</c>).</summary>
    Ungroup,
}

/// <summary>Whether the live progress display on stderr is shown.</summary>
internal enum ProgressMode
{
    /// <summary>When stderr is a terminal.</summary>
    Auto,

    /// <summary>Never.</summary>
    Off,
}
