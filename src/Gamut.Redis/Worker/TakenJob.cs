using System.Globalization;
using Gamut.Redis.Keys;
using StackExchange.Redis;

namespace Gamut.Redis.Worker;

/// <summary>A job this worker holds: taken from a queue with its fencing token (its delivery number).</summary>
internal sealed class TakenJob
{
    public required QueueKeys Queue { get; init; }

    public required string Id { get; set; }

    public long Fence { get; set; }

    public string Name { get; set; } = "";

    public ReadOnlyMemory<byte> Payload { get; set; }

    public int MaxAttempts { get; set; } = 1;

    public TimeSpan? Timeout { get; set; }

    public string? Backoff { get; set; }

    public int Failures { get; set; }

    /// <summary>The producer's W3C trace context (<c>traceparent</c>, <c>tracestate</c>), when the job carries one.</summary>
    public string? TraceParent { get; set; }

    /// <inheritdoc cref="TraceParent"/>
    public string? TraceState { get; set; }

    /// <summary>The W3C context of the previous delivery's <c>process</c> span (record field <c>ls</c>), when it left one: this delivery's span links to it.</summary>
    public string? PreviousSpan { get; set; }

    /// <summary>The W3C context of this delivery's <c>process</c> span, when recorded: stored with a retry or hand-back for the next delivery.</summary>
    public string? Span { get; set; }

    /// <summary>A raw envelope pushed by another client, not yet adopted as a job record.</summary>
    public byte[]? Raw { get; set; }

    public CancellationTokenSource Cancel { get; } = new();

    /// <summary>How this job's entry in the in-flight list is known locally (its id, or a digest of its raw bytes).</summary>
    public string EntryKey { get; set; } = "";

    public volatile bool CancelRequested;

    public volatile bool HandedBack;

    /// <summary>The job body has returned; only its outcome is left to record.</summary>
    public volatile bool Finished;

    public static TakenJob From(QueueKeys queue, RedisResult[] row)
    {
        var kind = (string)row[0]!;
        if (kind == "r")
        {
            var raw = (byte[])row[1]!;
            return new TakenJob { Queue = queue, Id = "", Raw = raw, EntryKey = KeyOf(raw) };
        }

        var job = new TakenJob
        {
            Queue = queue,
            Id = (string)row[1]!,
            Fence = (long)row[2],
            Name = (string)row[3]!,
            Payload = (byte[])row[4]!,
            MaxAttempts = ParseInt((string?)row[5], 1),
            Backoff = (string?)row[7],
            Failures = ParseInt((string?)row[8], 0),
            TraceParent = row.Length > 9 && (string?)row[9] is { Length: > 0 } tp ? tp : null,
            TraceState = row.Length > 10 && (string?)row[10] is { Length: > 0 } ts ? ts : null,
            PreviousSpan = row.Length > 11 && (string?)row[11] is { Length: > 0 } ls ? ls : null,
        };
        job.EntryKey = job.Id;
        var timeout = ParseInt((string?)row[6], 0);
        if (timeout > 0)
        {
            job.Timeout = TimeSpan.FromMilliseconds(timeout);
        }

        return job;
    }

    /// <summary>The local key of an in-flight entry: the id itself, or <c>raw:</c> and a digest of raw bytes.</summary>
    public static string KeyOf(byte[] entry) =>
        entry.Length is > 0 and <= 200 && entry.All(b => b < 128 && (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'.' or (byte)'_' or (byte)'-'))
            ? System.Text.Encoding.ASCII.GetString(entry)
            : "raw:" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(entry));

    private static int ParseInt(string? s, int fallback) =>
        int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= 0 ? v : fallback;
}
