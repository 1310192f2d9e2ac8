using System.Runtime.ExceptionServices;

namespace Gamut.Executors;

/// <summary>The outcome of one input of a map: its position, the input, and a value or an error.</summary>
/// <typeparam name="TIn">The input type.</typeparam>
/// <typeparam name="TOut">The output type.</typeparam>
public readonly struct JobOutcome<TIn, TOut>
{
    private readonly TOut _value;

    /// <summary>A success.</summary>
    /// <param name="index">The input's position, from 0.</param>
    /// <param name="input">The input.</param>
    /// <param name="value">The output.</param>
    public JobOutcome(long index, TIn input, TOut value)
    {
        Index = index;
        Input = input;
        _value = value;
        Error = null;
    }

    /// <summary>A failure.</summary>
    /// <param name="index">The input's position, from 0.</param>
    /// <param name="input">The input.</param>
    /// <param name="error">What went wrong.</param>
    public JobOutcome(long index, TIn input, Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        Index = index;
        Input = input;
        _value = default!;
        Error = error;
    }

    /// <summary>The input's position in the input sequence, from 0.</summary>
    public long Index { get; }

    /// <summary>The input.</summary>
    public TIn Input { get; }

    /// <summary>The error, when the job failed, timed out or was cancelled.</summary>
    public Exception? Error { get; }

    /// <summary>Whether the job succeeded.</summary>
    public bool IsSuccess => Error is null;

    /// <summary>The output; throws the error when the job failed.</summary>
    public TOut Value
    {
        get
        {
            if (Error is not null)
            {
                ExceptionDispatchInfo.Throw(Error);
            }

            return _value;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => IsSuccess ? $"#{Index} {Input} -> {_value}" : $"#{Index} {Input} failed: {Error!.Message}";
}
