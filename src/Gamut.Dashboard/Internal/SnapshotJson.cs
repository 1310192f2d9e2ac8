using System.Text;
using System.Text.Json;
using Gamut.Redis;

namespace Gamut.Dashboard.Internal;

/// <summary>Writes the overview the browsers receive (written by hand with Utf8JsonWriter: no reflection, trimming-safe).</summary>
internal static class SnapshotJson
{
    public static string Write(RedisStatus? status, ThroughputHistory history, DashboardOptions options, string? error)
    {
        var now = DateTimeOffset.UtcNow;
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("serverTime", now.ToUnixTimeMilliseconds());
            w.WriteBoolean("readOnly", options.ReadOnly);
            if (error is not null)
            {
                w.WriteString("error", error);
            }

            w.WriteStartArray("chart");
            foreach (var (succeeded, failed) in history.LastHour(now))
            {
                w.WriteStartArray();
                w.WriteNumberValue(succeeded);
                w.WriteNumberValue(failed);
                w.WriteEndArray();
            }

            w.WriteEndArray();
            if (status is not null)
            {
                if (status.Deployment is { } deployment)
                {
                    w.WriteStartObject("deployment");
                    w.WriteString("kind", deployment.Kind.ToString().ToLowerInvariant());
                    w.WriteString("description", deployment.Description);
                    w.WriteStartArray("nodes");
                    foreach (var node in deployment.Nodes)
                    {
                        w.WriteStringValue(node);
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                }

                WriteQueues(w, status);
                WriteWorkers(w, status);
                WriteRing(w, status);
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void WriteQueues(Utf8JsonWriter w, RedisStatus status)
    {
        w.WriteStartArray("queues");
        foreach (var q in status.Queues)
        {
            w.WriteStartObject();
            w.WriteString("name", q.Name);
            w.WriteBoolean("paused", q.Paused);
            w.WriteNumber("queued", q.Ready);
            w.WriteNumber("delayed", q.Delayed);
            w.WriteNumber("running", q.Running);
            w.WriteNumber("stuck", q.Stuck);
            w.WriteNumber("deadLetters", q.DeadLetters);
            w.WriteNumber("enqueued", q.Enqueued);
            w.WriteNumber("succeeded", q.Succeeded);
            w.WriteNumber("failed", q.Failed);
            w.WriteNumber("deadLettered", q.DeadLettered);
            w.WriteNumber("retried", q.Retried);
            w.WriteNumber("duplicates", q.Duplicates);
            w.WriteNumber("reaped", q.Reaped);
            w.WriteNumber("cancelled", q.Cancelled);
            w.WriteNumber("unreachable", q.Unreachable);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteWorkers(Utf8JsonWriter w, RedisStatus status)
    {
        w.WriteStartArray("workers");
        foreach (var worker in status.Workers)
        {
            w.WriteStartObject();
            w.WriteString("id", worker.Id);
            w.WriteBoolean("alive", worker.Alive);
            w.WriteNumber("lastSeen", worker.LastSeen.ToUnixTimeMilliseconds());
            if (worker.Info is { } info)
            {
                // The worker's own JSON self-description, passed on as data when it parses (the page reads fields from it).
                try
                {
                    using var doc = JsonDocument.Parse(info);
                    w.WritePropertyName("info");
                    doc.RootElement.WriteTo(w);
                }
                catch (JsonException)
                {
                    w.WriteString("info", info);
                }
            }

            w.WriteStartArray("jobs");
            foreach (var job in worker.CurrentJobs.Take(100))
            {
                w.WriteStartObject();
                w.WriteString("queue", job.Queue);
                w.WriteString("id", job.Id);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteRing(Utf8JsonWriter w, RedisStatus status)
    {
        if (status.Ring is not { } ring)
        {
            return;
        }

        w.WriteStartObject("ring");
        w.WriteNumber("version", ring.Version);
        w.WriteStartArray("instances");
        foreach (var i in status.Instances)
        {
            w.WriteStartObject();
            w.WriteString("instance", i.Instance);
            w.WriteString("state", i.State);
            w.WriteBoolean("answers", i.Answers);
            if (i.Version is { } v)
            {
                w.WriteNumber("version", v);
            }

            w.WriteNumber("share", i.Share);
            w.WriteNumber("queued", i.Ready);
            w.WriteNumber("delayed", i.Delayed);
            w.WriteNumber("running", i.Running);
            w.WriteNumber("pending", i.Pending);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }
}
