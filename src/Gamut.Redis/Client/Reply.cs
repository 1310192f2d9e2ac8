using System.Text;
using System.Text.Json;
using Gamut.Jobs;

namespace Gamut.Redis;

/// <summary>A job's end as a waiting client learns it: from a message on its reply channel, or from re-reading the record.</summary>
internal readonly record struct Reply(string Kind, ReadOnlyMemory<byte> Body)
{
    /// <summary>Parses <c>kind queue id\nbody</c>.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> message, out string kind, out JobHandle job, out ReadOnlyMemory<byte> body)
    {
        kind = "";
        job = default;
        body = default;
        var span = message.Span;
        var nl = span.IndexOf((byte)'\n');
        if (nl < 0)
        {
            return false;
        }

        var header = Encoding.ASCII.GetString(span[..nl]).Split(' ');
        if (header.Length != 3)
        {
            return false;
        }

        kind = header[0];
        job = new JobHandle(header[1], header[2]);
        body = message[(nl + 1)..];
        return true;
    }

    /// <summary>The error a failed, dead or cancelled job ends its waiter with.</summary>
    public Exception ToException(JobHandle job, string name, TimeSpan? timeout)
    {
        switch (Kind)
        {
            case "cancelled":
                return new OperationCanceledException($"Job {job.Id} on queue '{job.Queue}' was cancelled");
            case "failed":
            case "dead":
                var (type, reason, message, stack, code) = ParseError(Body.Span);
                if (Kind == "dead" || code == "dead" || type == "Gamut.Redis.DeadLetter")
                {
                    return new JobDeadLetteredException(job.Id, reason ?? "dead", message);
                }

                // The stable code is what a worker in another language sends; the .NET type name is what older workers did.
                if (code == "timeout" || type == typeof(JobTimeoutException).FullName)
                {
                    return new JobTimeoutException(name, job.Id, timeout ?? TimeSpan.Zero, message);
                }

                return new JobFailedException(name, job.Id, new JobError(type, message, stack));
            default:
                return new InvalidOperationException($"Job {job.Id} ended in an unknown state '{Kind}'");
        }
    }

    internal static (string Type, string? Reason, string Message, string? Stack, string? Code) ParseError(ReadOnlySpan<byte> json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json.ToArray());
            var root = doc.RootElement;
            string? Get(string name) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            return (Get("type") ?? Get("code") ?? "unknown", Get("reason"), Get("message") ?? "", Get("stack"), Get("code"));
        }
        catch (JsonException)
        {
            return ("unknown", null, Encoding.UTF8.GetString(json), null, null);
        }
    }
}
