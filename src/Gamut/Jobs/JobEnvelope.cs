namespace Gamut.Jobs;

/// <summary>
/// A job as it crosses a boundary (a pipe to a worker process, a Redis queue): id, name, attempt, limits and
/// the serialized input. Its JSON form is specified in docs/protocol.md so that any language can produce one;
/// <see cref="JobEnvelopeCodec"/> reads and writes it.
/// </summary>
public sealed record JobEnvelope
{
    /// <summary>The envelope format version this code writes and reads.</summary>
    public const int CurrentVersion = 1;

    /// <summary>The job's id (see <see cref="JobIds"/>).</summary>
    public required string Id { get; init; }

    /// <summary>The registered job name.</summary>
    public required string Name { get; init; }

    /// <summary>The serialized input, in <see cref="Format"/>.</summary>
    public required ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary>The payload's format; <c>json</c> payloads are carried inline as JSON values.</summary>
    public string Format { get; init; } = "json";

    /// <summary>The attempt this delivery is, from 1.</summary>
    public int Attempt { get; init; } = 1;

    /// <summary>How many attempts are allowed in all.</summary>
    public int MaxAttempts { get; init; } = 1;

    /// <summary>The per-attempt timeout, if any.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>When the job was first submitted.</summary>
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>
    /// The W3C trace context of the submitter (<c>traceparent</c>, e.g. from <c>Activity.Current?.Id</c>), so the
    /// job's own activity continues the submitter's trace wherever it runs; none when null.
    /// </summary>
    public string? TraceParent { get; init; }
}
