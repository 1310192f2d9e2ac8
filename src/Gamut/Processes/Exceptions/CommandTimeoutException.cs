namespace Gamut.Processes;

/// <summary>The command ran past its timeout; its process group was stopped (SIGTERM, grace period, SIGKILL).</summary>
public sealed class CommandTimeoutException : CommandException
{
    /// <summary>Creates the error.</summary>
    /// <param name="result">The result of the stopped command (output captured up to the stop).</param>
    /// <param name="timeout">The timeout that expired.</param>
    public CommandTimeoutException(CommandResult result, TimeSpan timeout)
        : base(result?.Command, $"Command '{result?.Command}' timed out after {timeout.TotalSeconds:0.###} s and was stopped ({Describe(result!)})")
    {
        Result = result!;
        Timeout = timeout;
    }

    /// <summary>The result of the stopped command, with the output captured before the stop.</summary>
    public CommandResult Result { get; }

    /// <summary>The timeout that expired.</summary>
    public TimeSpan Timeout { get; }

    private static string Describe(CommandResult result) =>
        result.Signal is { } s ? $"ended by {Signals.NameOf(s)}" : $"exit code {result.ExitCode}";
}
