using System.Globalization;
using System.Text.Json;
using Gamut.Jobs;
using StackExchange.Redis;

namespace Gamut.Redis;

/// <summary>
/// Reads a record's attempt history (docs/redis-protocol.md section 4.3): field <c>h:N</c> holds attempt N, after
/// which the job went on, as one JSON object written by the script that ended it; a record keeps at most
/// <see cref="Kept"/>, and a reader shows the newest <see cref="Kept"/> attempts.
/// </summary>
internal static class AttemptHistory
{
    /// <summary>How many attempts a record keeps (the scripts drop <c>h:(N-20)</c> when they write <c>h:N</c>).</summary>
    public const int Kept = 20;

    /// <summary>The fields that may hold the attempts of a record whose counter <c>a</c> is <paramref name="deliveries"/>, newest first.</summary>
    public static RedisValue[] Fields(long deliveries)
    {
        var n = (int)Math.Clamp(deliveries, 0, Kept);
        var fields = new RedisValue[n];
        for (var i = 0; i < n; i++)
        {
            fields[i] = "h:" + (deliveries - i).ToString(CultureInfo.InvariantCulture);
        }

        return fields;
    }

    /// <summary>
    /// Parses one entry. An entry that is not a JSON object (damaged by hand) is shown as an attempt of unknown
    /// outcome with the text as its message, so a reader never fails on it.
    /// </summary>
    public static JobAttempt Parse(long number, string entry)
    {
        try
        {
            using var doc = JsonDocument.Parse(entry);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Unreadable(number, entry);
            }

            JobError? error = null;
            string? code = null, reason = null;
            if (root.TryGetProperty("e", out var e) && e.ValueKind == JsonValueKind.Object)
            {
                code = Text(e, "code");
                reason = Text(e, "reason");
                error = new JobError(Text(e, "type") ?? code ?? "unknown", Text(e, "message") ?? "", Text(e, "stack"));
            }

            return new JobAttempt
            {
                Number = Integer(root, "a") ?? number,
                Outcome = Text(root, "o") ?? "unknown",
                Worker = Text(root, "w"),
                Host = Text(root, "host"),
                Pid = Integer(root, "pid"),
                StartedAt = Time(Integer(root, "st")),
                FinishedAt = Time(Integer(root, "fin")),
                Error = error,
                ErrorCode = code,
                DeadReason = reason,
            };
        }
        catch (JsonException)
        {
            return Unreadable(number, entry);
        }
    }

    private static JobAttempt Unreadable(long number, string entry) =>
        new() { Number = number, Outcome = "unknown", Error = new JobError("unknown", entry.Length > 4096 ? entry[..4096] : entry) };

    private static string? Text(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    // Lua's cjson writes a number as %.14g: an integer of more digits would come as 1.2345678901234e+15.
    private static long? Integer(JsonElement o, string name) =>
        !o.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Number ? null
        : v.TryGetInt64(out var n) ? n
        : v.TryGetDouble(out var d) && d == Math.Floor(d) && Math.Abs(d) < 9e15 ? (long)d
        : null;

    private static DateTimeOffset? Time(long? ms) =>
        ms is >= 0 and <= 253402300799999 ? DateTimeOffset.FromUnixTimeMilliseconds(ms.Value) : null;
}
