namespace Gamut.Redis.Tests.Chaos;

/// <summary>Which connections of a client a toxic applies to.</summary>
public enum ConnectionRole
{
    /// <summary>Every connection.</summary>
    Any,

    /// <summary>Connections that carry commands (StackExchange.Redis' interactive connection).</summary>
    Interactive,

    /// <summary>Connections that have sent SUBSCRIBE (the client's PUB/SUB connection).</summary>
    Subscriber,
}

/// <summary>
/// The faults a <see cref="FaultProxy"/> injects into the connections it relays, after toxiproxy's toxics
/// (RELIABILITY.md §3.2). Replies (server to client) are what a client's parser and timeouts see, so latency,
/// slicing, bandwidth and the data limit act on them; a blackhole holds both directions.
/// </summary>
public sealed record Toxics
{
    public static readonly Toxics None = new();

    /// <summary>Every reply chunk is held this long (plus jitter) before it is passed on, in order.</summary>
    public TimeSpan Latency { get; init; }

    /// <summary>Up to this much more or less than <see cref="Latency"/>, at random per chunk.</summary>
    public TimeSpan Jitter { get; init; }

    /// <summary>Nothing passes either way (toxiproxy's <c>timeout</c>): the data waits, as on a path that drops every packet, and flows again when the blackhole ends.</summary>
    public bool Blackhole { get; init; }

    /// <summary>The connection is closed after this many more reply bytes (toxiproxy's <c>limit_data</c>): a reply is cut mid-RESP.</summary>
    public long? LimitReplyBytes { get; init; }

    /// <summary>
    /// When set, <see cref="LimitReplyBytes"/> counts only from the first request since the change that contains this
    /// text (e.g. <c>EVALSHA</c>); replies before it pass whole. A test then cuts the reply of the one command it means
    /// to, not a heartbeat's or a health ping's that happened to come first on a loaded machine.
    /// </summary>
    public string? LimitAfterRequest { get; init; }

    /// <summary>Replies are written in segments of 1 to this many bytes, each sent on its own (toxiproxy's <c>slicer</c>).</summary>
    public int? SliceBytes { get; init; }

    /// <summary>Replies pass at this rate at most.</summary>
    public int? BytesPerSecond { get; init; }

    /// <summary>Which connections the toxics apply to.</summary>
    public ConnectionRole Role { get; init; } = ConnectionRole.Any;

    public bool AppliesTo(bool subscriber) => Role switch
    {
        ConnectionRole.Interactive => !subscriber,
        ConnectionRole.Subscriber => subscriber,
        _ => true,
    };

    public override string ToString()
    {
        var parts = new List<string>();
        if (Latency > TimeSpan.Zero || Jitter > TimeSpan.Zero)
        {
            parts.Add($"latency {Latency.TotalMilliseconds:0}±{Jitter.TotalMilliseconds:0} ms");
        }

        if (Blackhole)
        {
            parts.Add("blackhole");
        }

        if (LimitReplyBytes is { } limit)
        {
            parts.Add($"limit_data {limit} B" + (LimitAfterRequest is { } marker ? $" after {marker}" : ""));
        }

        if (SliceBytes is { } slice)
        {
            parts.Add($"slicer 1-{slice} B");
        }

        if (BytesPerSecond is { } rate)
        {
            parts.Add($"bandwidth {rate} B/s");
        }

        return (parts.Count == 0 ? "none" : string.Join(", ", parts)) + (Role == ConnectionRole.Any ? "" : $" on {Role.ToString().ToLowerInvariant()} connections");
    }
}
