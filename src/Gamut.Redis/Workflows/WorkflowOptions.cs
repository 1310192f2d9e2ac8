using Gamut.Redis.Keys;

namespace Gamut.Redis.Workflows;

/// <summary>Where a workflow runs and under which id.</summary>
public sealed record WorkflowOptions
{
    /// <summary>The options used when none are given.</summary>
    public static WorkflowOptions Default { get; } = new();

    /// <summary>
    /// The workflow's id (an idempotency key: starting a workflow whose id exists starts nothing and follows the
    /// existing one). Null: a new ULID. 1–180 of <c>A–Z a–z 0–9 . _ -</c> (its jobs are <c>ID.N</c>).
    /// </summary>
    public string? Id { get; init; }

    /// <summary>
    /// The queue every job of the workflow runs on (null: the executor's default queue). One queue per workflow: its
    /// state and all its jobs share the queue's hash slot, so each step is one atomic script on Redis Cluster too.
    /// </summary>
    public string? Queue { get; init; }

    /// <summary>Checks the id and queue.</summary>
    /// <exception cref="ArgumentException">A malformed id or queue name.</exception>
    public void Validate()
    {
        if (Id is { } id)
        {
            if (id.Length is 0 or > 180 || !id.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '.' or '_' or '-'))
            {
                throw new ArgumentException($"The workflow id '{id}' is not 1–180 of A–Z a–z 0–9 . _ -", nameof(Id));
            }
        }

        if (Queue is { } q)
        {
            KeyNames.ValidateQueue(q);
        }
    }
}
