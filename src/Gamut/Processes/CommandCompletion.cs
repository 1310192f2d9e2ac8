namespace Gamut.Processes;

/// <summary>One finished command of a batch (<see cref="CommandBatch"/>): its place in the input, and its result or error.</summary>
public sealed class CommandCompletion
{
    internal CommandCompletion(int index, Command command, CommandResult? result, Exception? error)
    {
        Index = index;
        Command = command;
        Result = result;
        Error = error;
    }

    /// <summary>The command's position in the input, from 0.</summary>
    public int Index { get; }

    /// <summary>The command.</summary>
    public Command Command { get; }

    /// <summary>The result, when the command started (also for a non-zero exit, a timeout or the output limit).</summary>
    public CommandResult? Result { get; }

    /// <summary>What <see cref="Command.RunAsync"/> raised, or null.</summary>
    public Exception? Error { get; }

    /// <summary>Whether the command ran and succeeded.</summary>
    public bool IsSuccess => Error is null && Result is { IsSuccess: true };

    /// <summary>The result, or the command's error raised again.</summary>
    public CommandResult GetResult()
    {
        if (Error is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(Error);
        }

        return Result!;
    }

    /// <inheritdoc/>
    public override string ToString() => $"#{Index} {Command}: {(Error is null ? Result!.ExitStatus.ToString() : Error.GetType().Name)}";
}
