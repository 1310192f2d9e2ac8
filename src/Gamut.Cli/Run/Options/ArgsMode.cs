namespace Gamut.Cli.Run.Options;

/// <summary>How input records become jobs.</summary>
internal enum ArgsMode
{
    /// <summary>One record per job (the default), or <c>-N</c>/<c>-L</c> records per job.</summary>
    Fixed,

    /// <summary><c>-m</c>: as many records as fit on a command line, shared out among the job slots at the end.</summary>
    Multiple,

    /// <summary><c>-X</c>: like <c>-m</c>, and each word with a replacement string is repeated per value.</summary>
    Context,

    /// <summary><c>--xargs</c>: as many records as fit on a command line, never shared out.</summary>
    Xargs,
}
