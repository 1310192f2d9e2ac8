namespace Gamut.Cli.Tests;

/// <summary>
/// One invocation run through GNU parallel and through gamut run, whose stdout and exit status must match.
/// Runs in a fresh directory holding <see cref="Files"/>; <see cref="CompareFile"/> names a file (a joblog) both
/// runs write, compared line by line with the timing columns left out.
/// </summary>
public sealed record DifferentialCase(string Name, string[] Args)
{
    public string? Stdin { get; init; }

    /// <summary>Compare stdout lines sorted: the order of parallel's output is not deterministic here.</summary>
    public bool Sorted { get; init; }

    public IReadOnlyDictionary<string, string> Files { get; init; } = new Dictionary<string, string>();

    public string? CompareFile { get; init; }

    /// <summary>A directory both runs fill (<c>--results</c>): every file under it, by path and content, must match.</summary>
    public string? CompareTree { get; init; }

    /// <summary>Environment variables for both runs; <c>{dir}</c> in a value is the run's directory (for HOME).</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Whether stdout is compared. Not for command-line errors: parallel prints its usage text on stdout there,
    /// gamut prints a one-line error and a usage hint on stderr; the exit status (255) is still compared.
    /// </summary>
    public bool CompareStdout { get; init; } = true;

    public override string ToString() => Name;
}
