namespace Gamut.Processes;

/// <summary>Which output stream a line or an error came from.</summary>
public enum OutputSource
{
    /// <summary>Standard output (fd 1).</summary>
    StandardOutput = 1,

    /// <summary>Standard error (fd 2).</summary>
    StandardError = 2,
}
