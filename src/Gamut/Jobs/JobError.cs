using System.Text.Json.Serialization;

namespace Gamut.Jobs;

/// <summary>
/// A failure as it crosses a boundary: the original exception's type name, message and stack trace,
/// as text. Nothing in it is ever resolved back into a type.
/// </summary>
/// <param name="Type">The full type name of the original exception (text only).</param>
/// <param name="Message">Its message.</param>
/// <param name="StackTrace">Its stack trace, when known.</param>
public sealed record JobError(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("stack")] string? StackTrace = null)
{
    /// <summary>Describes an exception, following <see cref="JobFailedException"/> to its original error.</summary>
    /// <param name="exception">The exception.</param>
    public static JobError From(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception is JobFailedException failed)
        {
            return failed.Error;
        }

        return new JobError(exception.GetType().FullName ?? exception.GetType().Name, exception.Message, exception.StackTrace);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Type}: {Message}";
}
