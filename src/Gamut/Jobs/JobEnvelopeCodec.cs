using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Gamut.Jobs;

/// <summary>
/// Reads and writes the JSON form of <see cref="JobEnvelope"/> (docs/protocol.md). Reading is strict about what
/// it needs and safe about the rest: the payload is kept as raw bytes (never bound to a type here), unknown
/// fields are ignored, a newer version is refused, and every problem is an <see cref="EnvelopeException"/>.
/// </summary>
public static class JobEnvelopeCodec
{
    /// <summary>The default limit on an envelope's size: 16 MiB.</summary>
    public const int DefaultMaxBytes = 16 * 1024 * 1024;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 128, CommentHandling = JsonCommentHandling.Disallow };

    /// <summary>Writes <paramref name="envelope"/> as JSON.</summary>
    /// <param name="envelope">The envelope.</param>
    /// <param name="destination">Where the bytes go.</param>
    public static void Write(JobEnvelope envelope, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        using var writer = new Utf8JsonWriter(destination, new JsonWriterOptions { SkipValidation = false, MaxDepth = 1000 });
        writer.WriteStartObject();
        writer.WriteNumber("v"u8, JobEnvelope.CurrentVersion);
        writer.WriteString("id"u8, envelope.Id);
        writer.WriteString("name"u8, envelope.Name);
        if (envelope.Attempt != 1)
        {
            writer.WriteNumber("attempt"u8, envelope.Attempt);
        }

        if (envelope.MaxAttempts != 1)
        {
            writer.WriteNumber("maxAttempts"u8, envelope.MaxAttempts);
        }

        if (envelope.Timeout is { } timeout)
        {
            writer.WriteNumber("timeoutMs"u8, (long)timeout.TotalMilliseconds);
        }

        writer.WriteNumber("createdAt"u8, envelope.CreatedAt.ToUnixTimeMilliseconds());
        if (envelope.Format == "json")
        {
            writer.WritePropertyName("payload"u8);
            writer.WriteRawValue(envelope.Payload.Span, skipInputValidation: false);
        }
        else
        {
            writer.WriteString("format"u8, envelope.Format);
            writer.WriteBase64String("payload"u8, envelope.Payload.Span);
        }

        writer.WriteEndObject();
    }

    /// <summary>Writes <paramref name="envelope"/> as JSON into a new array.</summary>
    /// <param name="envelope">The envelope.</param>
    public static byte[] Write(JobEnvelope envelope)
    {
        var buffer = new ArrayBufferWriter<byte>(128 + envelope.Payload.Length);
        Write(envelope, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads an envelope.</summary>
    /// <param name="data">The JSON bytes (UTF-8; a leading BOM is refused).</param>
    /// <param name="maxBytes">The size limit.</param>
    /// <exception cref="EnvelopeException">The envelope is malformed, too large, or of an unsupported version.</exception>
    public static JobEnvelope Read(ReadOnlySpan<byte> data, int maxBytes = DefaultMaxBytes)
    {
        if (data.Length > maxBytes)
        {
            throw new EnvelopeException(EnvelopeError.TooLarge, $"{data.Length} bytes is over the limit of {maxBytes}");
        }

        try
        {
            return ReadCore(data);
        }
        catch (JsonException e)
        {
            throw new EnvelopeException(EnvelopeError.NotJson, e.Message, e);
        }
        catch (ArgumentException e)
        {
            // Invalid UTF-8 inside strings surfaces here.
            throw new EnvelopeException(EnvelopeError.NotJson, e.Message, e);
        }
        catch (InvalidOperationException e)
        {
            throw new EnvelopeException(EnvelopeError.InvalidField, e.Message, e);
        }
    }

    private static JobEnvelope ReadCore(ReadOnlySpan<byte> data)
    {
        var reader = new Utf8JsonReader(data, ReaderOptions);
        if (!reader.Read())
        {
            throw new EnvelopeException(EnvelopeError.NotJson, "the data is empty");
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new EnvelopeException(EnvelopeError.NotAnObject, $"expected a JSON object, found {reader.TokenType}");
        }

        int? version = null;
        string? id = null, name = null, format = null;
        int attempt = 1, maxAttempts = 1;
        long? timeoutMs = null;
        long? createdAt = null;
        ReadOnlyMemory<byte>? payload = null;
        var payloadIsString = false;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.GetString()!;
            if (!reader.Read())
            {
                break;
            }

            switch (field)
            {
                case "v":
                    version = ReadInt(ref reader, field);
                    break;
                case "id":
                    id = ReadString(ref reader, field);
                    break;
                case "name":
                    name = ReadString(ref reader, field);
                    break;
                case "format":
                    format = ReadString(ref reader, field);
                    break;
                case "attempt":
                    attempt = ReadInt(ref reader, field);
                    break;
                case "maxAttempts":
                    maxAttempts = ReadInt(ref reader, field);
                    break;
                case "timeoutMs":
                    timeoutMs = reader.TokenType == JsonTokenType.Null ? null : ReadLong(ref reader, field);
                    break;
                case "createdAt":
                    createdAt = ReadLong(ref reader, field);
                    break;
                case "payload":
                    var start = (int)reader.TokenStartIndex;
                    payloadIsString = reader.TokenType == JsonTokenType.String;
                    reader.Skip();
                    var end = (int)reader.BytesConsumed;
                    payload = data[start..end].ToArray();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        if (version is null)
        {
            throw new EnvelopeException(EnvelopeError.MissingField, "the version field 'v' is missing");
        }

        if (version != JobEnvelope.CurrentVersion)
        {
            throw new EnvelopeException(EnvelopeError.UnsupportedVersion, $"version {version} is not supported (this reader knows {JobEnvelope.CurrentVersion})");
        }

        if (id is null)
        {
            throw new EnvelopeException(EnvelopeError.MissingField, "the field 'id' is missing");
        }

        if (!JobIds.IsValid(id))
        {
            throw new EnvelopeException(EnvelopeError.InvalidField, $"'{Clip(id)}' is not a valid job id (1 to {JobIds.MaxLength} ASCII letters, digits and . _ -)");
        }

        if (name is null)
        {
            throw new EnvelopeException(EnvelopeError.MissingField, "the field 'name' is missing");
        }

        if (!JobNames.IsValid(name))
        {
            throw new EnvelopeException(EnvelopeError.InvalidField, $"'{Clip(name)}' is not a valid job name");
        }

        if (payload is null)
        {
            throw new EnvelopeException(EnvelopeError.MissingField, "the field 'payload' is missing");
        }

        if (attempt < 1)
        {
            throw new EnvelopeException(EnvelopeError.InvalidField, $"attempt {attempt} is not a positive number");
        }

        if (maxAttempts < 1)
        {
            throw new EnvelopeException(EnvelopeError.InvalidField, $"maxAttempts {maxAttempts} is not a positive number");
        }

        if (timeoutMs is < 1)
        {
            throw new EnvelopeException(EnvelopeError.InvalidField, $"timeoutMs {timeoutMs} is not a positive number");
        }

        format ??= "json";
        var body = payload.Value;
        if (format != "json")
        {
            if (!payloadIsString)
            {
                throw new EnvelopeException(EnvelopeError.InvalidField, $"a '{Clip(format)}' payload must be a base64 string");
            }

            var inner = new Utf8JsonReader(body.Span);
            inner.Read();
            body = inner.GetBytesFromBase64();
        }

        return new JobEnvelope
        {
            Id = id,
            Name = name,
            Payload = body,
            Format = format,
            Attempt = attempt,
            MaxAttempts = maxAttempts,
            Timeout = timeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null,
            CreatedAt = createdAt is { } c ? FromUnixMs(c) : DateTimeOffset.UnixEpoch,
        };
    }

    private static DateTimeOffset FromUnixMs(long ms)
    {
        if (ms < 0 || ms > 253402300799999)
        {
            throw new EnvelopeException(EnvelopeError.InvalidField, $"createdAt {ms} is out of range");
        }

        return DateTimeOffset.FromUnixTimeMilliseconds(ms);
    }

    private static string ReadString(ref Utf8JsonReader reader, string field)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new EnvelopeException(EnvelopeError.InvalidField, $"'{field}' must be a string, not {reader.TokenType}");
        }

        return reader.GetString()!;
    }

    private static int ReadInt(ref Utf8JsonReader reader, string field)
    {
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var value))
        {
            throw new EnvelopeException(EnvelopeError.InvalidField, $"'{field}' must be a 32-bit integer");
        }

        return value;
    }

    private static long ReadLong(ref Utf8JsonReader reader, string field)
    {
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value))
        {
            throw new EnvelopeException(EnvelopeError.InvalidField, $"'{field}' must be a 64-bit integer");
        }

        return value;
    }

    private static string Clip(string s) => s.Length <= 64 ? s : string.Concat(s.AsSpan(0, 64), "…");
}
