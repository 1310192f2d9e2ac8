using System.Text.Json.Serialization;
using Gamut.Jobs;

namespace Gamut.Redis.Workflows;

/// <summary>
/// One member's outcome in a settled group (<see cref="Workflow.GroupSettled{TOut}(IEnumerable{WorkflowStep{TOut}})"/>):
/// its result, or the error it failed, was dead-lettered or was cancelled with. In JSON, <c>{"result":…}</c> or
/// <c>{"error":{"code":…,"type":…,"message":…}}</c>.
/// </summary>
/// <typeparam name="T">The member's result type.</typeparam>
/// <param name="Result">The result, when the member succeeded.</param>
/// <param name="Error">The error, when it did not.</param>
public sealed record WorkflowOutcome<T>(
    [property: JsonPropertyName("result")] T? Result,
    [property: JsonPropertyName("error")] JobError? Error)
{
    /// <summary>True when the member succeeded.</summary>
    [JsonIgnore]
    public bool Succeeded => Error is null;
}
