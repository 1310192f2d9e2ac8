using System.Text.Json;

namespace Gamut.Jobs;

public static partial class JobEnvelopeCodec
{
    /// <summary>One pass over the envelope. Problems with fields are remembered, not thrown, until the version is known.</summary>
    private ref struct EnvelopeReader
    {
        private readonly ReadOnlySpan<byte> _data;
        private Utf8JsonReader _reader;
        private EnvelopeException? _problem;
        private int _seen;

        public EnvelopeReader(ReadOnlySpan<byte> data)
        {
            _data = data;
            _reader = new Utf8JsonReader(data, ReaderOptions);
        }

        public JobEnvelope Read()
        {
            if (!_reader.Read())
            {
                throw new EnvelopeException(EnvelopeError.NotJson, "the data is empty");
            }

            if (_reader.TokenType != JsonTokenType.StartObject)
            {
                // Finish reading so that text which is not JSON at all says so.
                _reader.Skip();
                throw new EnvelopeException(EnvelopeError.NotAnObject, $"expected a JSON object, found {Describe(_reader.TokenType)}");
            }

            long? version = null;
            var versionInvalid = false;
            string? id = null, name = null, format = null, traceParent = null;
            long attempt = 1, maxAttempts = 1;
            long? timeoutMs = null, createdAt = null;
            var payloadStart = -1;
            var payloadEnd = -1;
            var payloadIsString = false;

            while (_reader.Read() && _reader.TokenType == JsonTokenType.PropertyName)
            {
                var field = FieldOf(ref _reader);
                _reader.Read();
                switch (field)
                {
                    case Field.Version:
                        if (Once(field))
                        {
                            if (_reader.TokenType == JsonTokenType.Number && _reader.TryGetInt64(out var v))
                            {
                                version = v;
                            }
                            else
                            {
                                versionInvalid = true;
                                _reader.Skip();
                            }
                        }

                        break;
                    case Field.Id:
                        id = Once(field) ? Text("id") : id;
                        break;
                    case Field.Name:
                        name = Once(field) ? Text("name") : name;
                        break;
                    case Field.Format:
                        format = Once(field) ? Text("format") : format;
                        break;
                    case Field.Attempt:
                        attempt = Once(field) ? Integer("attempt", 1, int.MaxValue) : attempt;
                        break;
                    case Field.MaxAttempts:
                        maxAttempts = Once(field) ? Integer("maxAttempts", 1, int.MaxValue) : maxAttempts;
                        break;
                    case Field.TimeoutMs:
                        timeoutMs = Once(field) && _reader.TokenType != JsonTokenType.Null ? Integer("timeoutMs", 1, MaxTimeoutMs) : timeoutMs;
                        break;
                    case Field.CreatedAt:
                        createdAt = Once(field) ? Integer("createdAt", 0, MaxCreatedAtMs) : createdAt;
                        break;
                    case Field.TraceParent:
                        traceParent = Once(field) && _reader.TokenType != JsonTokenType.Null ? Text("traceparent") : traceParent;
                        break;
                    case Field.Payload:
                        Once(field);
                        payloadStart = (int)_reader.TokenStartIndex;
                        payloadIsString = _reader.TokenType == JsonTokenType.String;
                        _reader.Skip();
                        payloadEnd = (int)_reader.BytesConsumed;
                        break;
                    default:
                        _reader.Skip();
                        break;
                }
            }

            // Anything after the envelope object (a second value, stray text) makes it not one JSON document.
            if (_reader.Read())
            {
                throw new EnvelopeException(EnvelopeError.NotJson, $"unexpected {Describe(_reader.TokenType)} after the envelope object");
            }

            if (versionInvalid)
            {
                throw new EnvelopeException(EnvelopeError.InvalidField, "the version field 'v' must be an integer");
            }

            if (version is null)
            {
                throw new EnvelopeException(EnvelopeError.MissingField, "the version field 'v' is missing");
            }

            if (version != JobEnvelope.CurrentVersion)
            {
                throw new EnvelopeException(EnvelopeError.UnsupportedVersion, $"version {version} is not supported (this reader knows version {JobEnvelope.CurrentVersion})");
            }

            if (_problem is not null)
            {
                throw _problem;
            }

            id = Required(id, "id");
            name = Required(name, "name");
            if (payloadStart < 0)
            {
                throw new EnvelopeException(EnvelopeError.MissingField, "the field 'payload' is missing");
            }

            if (!JobIds.IsValid(id))
            {
                throw new EnvelopeException(EnvelopeError.InvalidField, $"'{Clip(id)}' is not a valid job id (1 to {JobIds.MaxLength} ASCII letters, digits and . _ -)");
            }

            if (!JobNames.IsValid(name))
            {
                throw new EnvelopeException(EnvelopeError.InvalidField, $"'{Clip(name)}' is not a valid job name (1 to {JobNames.MaxLength} ASCII letters, digits and . _ - : +)");
            }

            format ??= "json";
            if (!IsValidFormat(format))
            {
                throw new EnvelopeException(EnvelopeError.InvalidField, $"'{Clip(format)}' is not a valid payload format (1 to {MaxFormatLength} of a-z 0-9 . + -)");
            }

            if (traceParent is not null && !IsValidTraceParent(traceParent))
            {
                throw new EnvelopeException(EnvelopeError.InvalidField, $"'{Clip(traceParent)}' is not a valid traceparent");
            }

            var payload = _data[payloadStart..payloadEnd];
            byte[] body;
            if (format == "json")
            {
                body = payload.ToArray();
            }
            else if (!payloadIsString)
            {
                throw new EnvelopeException(EnvelopeError.InvalidField, $"a '{format}' payload must be a base64 string");
            }
            else
            {
                var inner = new Utf8JsonReader(payload);
                inner.Read();
                if (!inner.TryGetBytesFromBase64(out var decoded))
                {
                    throw new EnvelopeException(EnvelopeError.InvalidField, $"the '{format}' payload is not valid base64");
                }

                body = decoded;
            }

            return new JobEnvelope
            {
                Id = id,
                Name = name,
                Payload = body,
                Format = format,
                Attempt = (int)attempt,
                MaxAttempts = (int)maxAttempts,
                Timeout = timeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null,
                CreatedAt = createdAt is { } c ? DateTimeOffset.FromUnixTimeMilliseconds(c) : DateTimeOffset.UnixEpoch,
                TraceParent = traceParent,
            };
        }

        private bool Once(Field field)
        {
            var bit = 1 << (int)field;
            if ((_seen & bit) != 0)
            {
                Note(EnvelopeError.InvalidField, $"the field '{NameOf(field)}' appears more than once");
                _reader.Skip();
                return false;
            }

            _seen |= bit;
            return true;
        }

        private string? Text(string field)
        {
            if (_reader.TokenType != JsonTokenType.String)
            {
                Note(EnvelopeError.InvalidField, $"'{field}' must be a string, not {Describe(_reader.TokenType)}");
                _reader.Skip();
                return null;
            }

            try
            {
                return _reader.GetString();
            }
            catch (InvalidOperationException e)
            {
                // An escaped lone surrogate ("\ud800") is valid JSON text but not a valid string.
                Note(EnvelopeError.InvalidField, $"'{field}' is not a valid string: {e.Message}");
                return null;
            }
        }

        private long Integer(string field, long min, long max)
        {
            if (_reader.TokenType != JsonTokenType.Number || !_reader.TryGetInt64(out var value))
            {
                Note(EnvelopeError.InvalidField, $"'{field}' must be an integer written without a fraction or exponent, not {Describe(_reader)}");
                _reader.Skip();
                return min;
            }

            if (value < min || value > max)
            {
                Note(EnvelopeError.InvalidField, $"'{field}' is {value}, outside {min} to {max}");
            }

            return value;
        }

        private readonly string Required(string? value, string field) =>
            value ?? throw new EnvelopeException(EnvelopeError.MissingField, $"the field '{field}' is missing");

        private void Note(EnvelopeError reason, string message) => _problem ??= new EnvelopeException(reason, message);

        private static Field FieldOf(ref Utf8JsonReader reader)
        {
            // ValueTextEquals compares after unescaping, so "\u0076" names the field "v" as any JSON reader sees it.
            if (reader.ValueTextEquals("v"u8)) return Field.Version;
            if (reader.ValueTextEquals("id"u8)) return Field.Id;
            if (reader.ValueTextEquals("name"u8)) return Field.Name;
            if (reader.ValueTextEquals("payload"u8)) return Field.Payload;
            if (reader.ValueTextEquals("format"u8)) return Field.Format;
            if (reader.ValueTextEquals("attempt"u8)) return Field.Attempt;
            if (reader.ValueTextEquals("maxAttempts"u8)) return Field.MaxAttempts;
            if (reader.ValueTextEquals("timeoutMs"u8)) return Field.TimeoutMs;
            if (reader.ValueTextEquals("createdAt"u8)) return Field.CreatedAt;
            if (reader.ValueTextEquals("traceparent"u8)) return Field.TraceParent;
            return Field.Unknown;
        }

        private static string NameOf(Field field) => field switch
        {
            Field.Version => "v",
            Field.Id => "id",
            Field.Name => "name",
            Field.Payload => "payload",
            Field.Format => "format",
            Field.Attempt => "attempt",
            Field.MaxAttempts => "maxAttempts",
            Field.TimeoutMs => "timeoutMs",
            Field.CreatedAt => "createdAt",
            Field.TraceParent => "traceparent",
            _ => "?",
        };

        private static string Describe(JsonTokenType token) => token switch
        {
            JsonTokenType.StartArray => "an array",
            JsonTokenType.StartObject => "an object",
            JsonTokenType.String => "a string",
            JsonTokenType.Number => "a number",
            JsonTokenType.True or JsonTokenType.False => "a boolean",
            JsonTokenType.Null => "null",
            _ => token.ToString(),
        };

        private static string Describe(Utf8JsonReader reader) =>
            reader.TokenType == JsonTokenType.Number
                ? $"the number {Clip(System.Text.Encoding.UTF8.GetString(reader.ValueSpan))}"
                : Describe(reader.TokenType);
    }

    private enum Field
    {
        Unknown,
        Version,
        Id,
        Name,
        Format,
        Attempt,
        MaxAttempts,
        TimeoutMs,
        CreatedAt,
        TraceParent,
        Payload,
    }
}
