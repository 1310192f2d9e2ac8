namespace Gamut.Cli.Run.Options;

/// <summary>
/// A problem with the command line or its inputs that stops the run before any job starts: one line naming the
/// problem; the tool prints it with a usage hint and exits with 255, as GNU parallel does for "other errors".
/// </summary>
internal sealed class UsageException(string message) : Exception(message);
