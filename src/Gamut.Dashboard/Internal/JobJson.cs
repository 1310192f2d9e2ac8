using System.Text;
using System.Text.Json;
using Gamut.Redis;

namespace Gamut.Dashboard.Internal;

/// <summary>
/// Writes jobs for the page. Inputs, results and errors go out as JSON strings (the page shows them as text, never
/// HTML): an input or result that is JSON is pretty-printed first; a command job's stdout and stderr are decoded.
/// </summary>
internal static class JobJson
{
    private static readonly JsonWriterOptions Pretty = new() { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Job(JobRecord job)
    {
        return Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("queue", job.Job.Queue);
            w.WriteString("id", job.Job.Id);
            w.WriteString("state", job.State);
            w.WriteString("name", job.Name);
            w.WriteString("input", PrettyOrText(job.Input));
            w.WriteString("result", PrettyOrText(job.Result));
            if (job.Name == Gamut.Jobs.Commands.CommandJob.Name && job.Result is { } result)
            {
                WriteCommandOutput(w, result);
            }

            if (job.Error is { } e)
            {
                w.WriteStartObject("error");
                w.WriteString("type", e.Type);
                w.WriteString("message", e.Message);
                w.WriteString("stack", e.StackTrace);
                w.WriteString("reason", job.DeadReason);
                w.WriteEndObject();
            }

            w.WriteNumber("deliveries", job.Deliveries);
            w.WriteNumber("failures", job.Failures);
            w.WriteNumber("lost", job.LostDeliveries);
            w.WriteNumber("maxAttempts", job.MaxAttempts);
            w.WriteString("worker", job.Worker);
            Time(w, "created", job.CreatedAt);
            Time(w, "started", job.StartedAt);
            Time(w, "finished", job.FinishedAt);
            w.WriteString("progress", job.Progress);
            w.WriteBoolean("cancelRequested", job.CancelRequested);
            w.WriteString("instance", job.Instance);
            WriteAttempts(w, job.Attempts);
            w.WriteEndObject();
        });
    }

    // Newest first, as the record reads: the running delivery, then the ended ones. Texts stay text (the page sets
    // them with textContent).
    private static void WriteAttempts(Utf8JsonWriter w, IReadOnlyList<JobAttempt> attempts)
    {
        w.WriteStartArray("attempts");
        foreach (var a in attempts)
        {
            w.WriteStartObject();
            w.WriteNumber("number", a.Number);
            w.WriteString("outcome", a.Outcome);
            w.WriteString("worker", a.Worker);
            w.WriteString("host", a.Host);
            if (a.Pid is { } pid)
            {
                w.WriteNumber("pid", pid);
            }

            Time(w, "started", a.StartedAt);
            Time(w, "finished", a.FinishedAt);
            if (a.Error is { } e)
            {
                w.WriteStartObject("error");
                w.WriteString("code", a.ErrorCode);
                w.WriteString("type", e.Type);
                w.WriteString("reason", a.DeadReason);
                w.WriteString("message", e.Message);
                w.WriteString("stack", e.StackTrace);
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    public static string Listing(IReadOnlyList<JobListing> rows, int offset, int count, long? scanned = null, bool complete = true) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteNumber("offset", offset);
        w.WriteNumber("count", count);
        if (scanned is { } n)
        {
            w.WriteNumber("scanned", n);
            w.WriteBoolean("complete", complete);
        }

        w.WriteStartArray("rows");
        foreach (var r in rows)
        {
            w.WriteStartObject();
            w.WriteString("queue", r.Queue);
            w.WriteString("id", r.Id);
            w.WriteString("name", r.Name);
            w.WriteString("state", r.State);
            Time(w, "at", r.At);
            w.WriteString("reason", r.Reason);
            w.WriteString("detail", r.Detail);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    });

    public static string Found(IReadOnlyList<JobHandle> jobs) => Write(w =>
    {
        w.WriteStartArray();
        foreach (var j in jobs)
        {
            w.WriteStartObject();
            w.WriteString("queue", j.Queue);
            w.WriteString("id", j.Id);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    });

    public static string Message(string key, string text) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString(key, text);
        w.WriteEndObject();
    });

    private static void WriteCommandOutput(Utf8JsonWriter w, string result)
    {
        try
        {
            using var doc = JsonDocument.Parse(result);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            w.WriteStartObject("command");
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.NameEquals("stdout") || p.NameEquals("stderr"))
                {
                    w.WriteString(p.Name, p.Value.ValueKind == JsonValueKind.String && p.Value.TryGetBytesFromBase64(out var bytes) ? Encoding.UTF8.GetString(bytes) : p.Value.ToString());
                }
                else if (p.NameEquals("exitCode") || p.NameEquals("signal") || p.NameEquals("timedOut"))
                {
                    p.WriteTo(w);
                }
            }

            w.WriteEndObject();
        }
        catch (JsonException)
        {
        }
    }

    private static string? PrettyOrText(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }

        try
        {
            using var doc = JsonDocument.Parse(text);
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer, Pretty))
            {
                doc.RootElement.WriteTo(w);
            }

            return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (JsonException)
        {
            return text;
        }
    }

    private static void Time(Utf8JsonWriter w, string name, DateTimeOffset? t)
    {
        if (t is { } v)
        {
            w.WriteNumber(name, v.ToUnixTimeMilliseconds());
        }
    }

    private static string Write(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            body(w);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
