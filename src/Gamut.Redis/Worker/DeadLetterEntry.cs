using System.Buffers;
using System.Text.Json;

namespace Gamut.Redis.Worker;

/// <summary>Writes a dead-letter list entry: one JSON object per entry (docs/redis-protocol.md).</summary>
internal static class DeadLetterEntry
{
    public static byte[] Create(string queue, string? id, string? name, string reason, string detail, int attempts = 0, ReadOnlySpan<byte> rawEntry = default)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (id is not null)
            {
                w.WriteString("id", id);
            }

            w.WriteString("queue", queue);
            if (name is not null)
            {
                w.WriteString("name", name);
            }

            w.WriteString("reason", reason);
            w.WriteString("detail", detail);
            if (attempts > 0)
            {
                w.WriteNumber("attempts", attempts);
            }

            w.WriteNumber("at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            if (!rawEntry.IsEmpty)
            {
                w.WriteString("entry", Printable(rawEntry[..Math.Min(rawEntry.Length, 200)]));
            }

            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// An error as stored in a job's <c>e</c> field: <c>code</c> is the stable, language-neutral kind (docs/protocol.md:
    /// <c>failed</c>, <c>timeout</c>, <c>crashed</c>, <c>dead</c>), <c>type</c> the language's own type name.
    /// </summary>
    public static byte[] Error(string code, string type, string message, string? stack = null, string? reason = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("code", code);
            w.WriteString("type", type);
            if (reason is not null)
            {
                w.WriteString("reason", reason);
            }

            w.WriteString("message", message);
            if (stack is not null)
            {
                w.WriteString("stack", stack);
            }

            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            var b = bytes[i];
            chars[i] = b is >= 0x20 and < 0x7f ? (char)b : '?';
        }

        return new string(chars);
    }
}
