namespace Gamut.Processes;

/// <summary>The base of every error the subprocess layer raises about a command.</summary>
public abstract class CommandException : Exception
{
    /// <summary>Creates the error.</summary>
    /// <param name="command">The command concerned, when known.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="inner">The underlying error, if any.</param>
    protected CommandException(Command? command, string message, Exception? inner = null)
        : base(message, inner)
    {
        Command = command;
    }

    /// <summary>The command concerned, when known.</summary>
    public Command? Command { get; }
}
