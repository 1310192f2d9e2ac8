namespace Gamut.Processes;

/// <summary>
/// The command ended with a non-zero exit code or was killed by a signal, and the command asks for that to
/// be an error (<see cref="Command.ThrowOnNonZeroExit"/>, on by default).
/// </summary>
public sealed class CommandExitException : CommandException
{
    /// <summary>Creates the error.</summary>
    /// <param name="result">The command's result.</param>
    public CommandExitException(CommandResult result)
        : base(result?.Command, Describe(result!))
    {
        Result = result!;
    }

    /// <summary>The full result, with the captured output.</summary>
    public CommandResult Result { get; }

    /// <summary>The exit code (128 + the signal number when a signal ended it).</summary>
    public int ExitCode => Result.ExitCode;

    /// <summary>The signal that ended the command, if one did.</summary>
    public int? Signal => Result.Signal;

    /// <summary>The last lines of the command's standard error (up to 4 KiB), when it passed through Gamut.</summary>
    public string StandardErrorTail => Result.StandardErrorTail;

    private static string Describe(CommandResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var how = result.Signal is { } s
            ? $"was killed by signal {s} ({Signals.NameOf(s)})"
            : $"exited with code {result.ExitCode}";
        var tail = result.StandardErrorTail.TrimEnd();
        return tail.Length == 0
            ? $"Command '{result.Command}' {how}"
            : $"Command '{result.Command}' {how}; standard error ends with:{Environment.NewLine}{tail}";
    }
}
