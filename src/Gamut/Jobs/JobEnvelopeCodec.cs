using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;

namespace Gamut.Jobs;

/// <summary>
/// Reads and writes the JSON form of <see cref="JobEnvelope"/>, exactly as docs/protocol.md specifies it. Reading is
/// strict about what it needs and safe about the rest: the payload is kept as raw bytes (never bound to a type
/// here, so a <c>$type</c> inside it is only data), unknown fields are ignored, a duplicated field is refused, a
/// version other than <see cref="JobEnvelope.CurrentVersion"/> is refused before anything else is judged, and
/// every problem is an <see cref="EnvelopeException"/> whose <see cref="EnvelopeException.Reason"/> a dead-letter
/// entry can carry.
/// </summary>
public static partial class JobEnvelopeCodec
{
    /// <summary>The default limit on an envelope's size: 16 MiB.</summary>
    public const int DefaultMaxBytes = 16 * 1024 * 1024;

    /// <summary>The deepest nesting of JSON arrays and objects accepted, counting the envelope object itself.</summary>
    public const int MaxDepth = 128;

    /// <summary>The largest <c>timeoutMs</c> accepted (2^31 - 1 ms, about 24.8 days).</summary>
    public const long MaxTimeoutMs = int.MaxValue;

    /// <summary>The largest <c>createdAt</c> accepted: the last millisecond of the year 9999.</summary>
    public const long MaxCreatedAtMs = 253402300799999;

    /// <summary>The longest <c>format</c> name accepted.</summary>
    public const int MaxFormatLength = 32;

    /// <summary>The longest <c>traceparent</c> accepted.</summary>
    public const int MaxTraceParentLength = 128;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false };

    /// <summary>Writes <paramref name="envelope"/> as JSON.</summary>
    /// <param name="envelope">The envelope.</param>
    /// <param name="destination">Where the bytes go.</param>
    /// <exception cref="ArgumentException">A field is invalid (an id or name outside the rules, a <c>json</c> payload that is not one JSON value...).</exception>
    public static void Write(JobEnvelope envelope, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(destination);
        Validate(envelope);
        using var writer = new Utf8JsonWriter(destination, new JsonWriterOptions { SkipValidation = false, MaxDepth = MaxDepth });
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
            writer.WriteNumber("timeoutMs"u8, TimeoutMs(timeout));
        }

        writer.WriteNumber("createdAt"u8, envelope.CreatedAt.ToUnixTimeMilliseconds());
        if (envelope.TraceParent is { } trace)
        {
            writer.WriteString("traceparent"u8, trace);
        }

        if (envelope.Format == "json")
        {
            writer.WritePropertyName("payload"u8);
            try
            {
                writer.WriteRawValue(envelope.Payload.Span, skipInputValidation: false);
            }
            catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
            {
                throw new ArgumentException($"The payload of job '{envelope.Name}' is not one JSON value: {e.Message}", nameof(envelope), e);
            }
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
    /// <exception cref="ArgumentException">A field is invalid.</exception>
    public static byte[] Write(JobEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var buffer = new ArrayBufferWriter<byte>(160 + envelope.Payload.Length);
        Write(envelope, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads an envelope.</summary>
    /// <param name="data">The JSON bytes: UTF-8 without a byte order mark.</param>
    /// <param name="maxBytes">The size limit.</param>
    /// <exception cref="EnvelopeException">The envelope is malformed, too large, or of an unsupported version.</exception>
    public static JobEnvelope Read(ReadOnlySpan<byte> data, int maxBytes = DefaultMaxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        if (data.Length > maxBytes)
        {
            throw new EnvelopeException(EnvelopeError.TooLarge, $"{data.Length} bytes is over the limit of {maxBytes}");
        }

        if (data.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            throw new EnvelopeException(EnvelopeError.NotJson, "the data starts with a UTF-8 byte order mark; envelopes are UTF-8 without one");
        }

        if (!Utf8.IsValid(data))
        {
            throw new EnvelopeException(EnvelopeError.NotJson, "the data is not valid UTF-8");
        }

        try
        {
            return new EnvelopeReader(data).Read();
        }
        catch (JsonException e)
        {
            throw new EnvelopeException(EnvelopeError.NotJson, e.Message, e);
        }
    }

    private static void Validate(JobEnvelope envelope)
    {
        if (!JobIds.IsValid(envelope.Id))
        {
            throw new ArgumentException($"'{Clip(envelope.Id)}' is not a valid job id (1 to {JobIds.MaxLength} ASCII letters, digits and . _ -)", nameof(envelope));
        }

        if (!JobNames.IsValid(envelope.Name))
        {
            throw new ArgumentException($"'{Clip(envelope.Name)}' is not a valid job name (1 to {JobNames.MaxLength} ASCII letters, digits and . _ - : +)", nameof(envelope));
        }

        if (!IsValidFormat(envelope.Format))
        {
            throw new ArgumentException($"'{Clip(envelope.Format)}' is not a valid payload format (1 to {MaxFormatLength} of a-z 0-9 . + -)", nameof(envelope));
        }

        if (envelope.Attempt < 1 || envelope.MaxAttempts < 1)
        {
            throw new ArgumentException($"attempt ({envelope.Attempt}) and maxAttempts ({envelope.MaxAttempts}) are at least 1", nameof(envelope));
        }

        if (envelope.Timeout is { } t)
        {
            _ = TimeoutMs(t);
        }

        var created = envelope.CreatedAt.ToUnixTimeMilliseconds();
        if (created is < 0 or > MaxCreatedAtMs)
        {
            throw new ArgumentException($"createdAt {envelope.CreatedAt:O} is before 1970", nameof(envelope));
        }

        if (envelope.TraceParent is { } trace && !IsValidTraceParent(trace))
        {
            throw new ArgumentException($"'{Clip(trace)}' is not a valid traceparent (1 to {MaxTraceParentLength} of 0-9 a-f and -)", nameof(envelope));
        }
    }

    private static long TimeoutMs(TimeSpan timeout)
    {
        // Round up: a timeout of 0.5 ms must not become "no time at all".
        var ms = (long)Math.Ceiling(timeout.TotalMilliseconds);
        if (ms is < 1 or > MaxTimeoutMs)
        {
            throw new ArgumentException($"A timeout of {timeout} is outside 1 ms to {MaxTimeoutMs} ms", nameof(timeout));
        }

        return ms;
    }

    internal static bool IsValidFormat(string? format)
    {
        if (string.IsNullOrEmpty(format) || format.Length > MaxFormatLength)
        {
            return false;
        }

        foreach (var c in format)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '+' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    internal static bool IsValidTraceParent(string? trace)
    {
        if (string.IsNullOrEmpty(trace) || trace.Length > MaxTraceParentLength)
        {
            return false;
        }

        foreach (var c in trace)
        {
            if (!(char.IsAsciiHexDigitLower(c) || c == '-'))
            {
                return false;
            }
        }

        return true;
    }

    internal static string Clip(string? s) => s is null ? "(null)" : s.Length <= 64 ? s : string.Concat(s.AsSpan(0, 64), "…");
}
