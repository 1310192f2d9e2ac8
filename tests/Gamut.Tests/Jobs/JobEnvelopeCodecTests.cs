using System.Buffers;
using System.Text;
using Gamut.Jobs;

namespace Gamut.Tests.Jobs;

public sealed class JobEnvelopeCodecTests
{
    private static readonly byte[] Valid = """{"v":1,"id":"01JDQ7X5K3","name":"images.resize","payload":{"path":"a.png","width":640}}"""u8.ToArray();

    [Fact]
    public void An_envelope_written_and_read_back_keeps_every_field()
    {
        var envelope = new JobEnvelope
        {
            Id = JobIds.New(),
            Name = "images.resize",
            Payload = """{"path":"a.png","width":640}"""u8.ToArray(),
            Attempt = 2,
            MaxAttempts = 5,
            Timeout = TimeSpan.FromSeconds(30),
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_732_560_000_123),
            TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        };

        var read = JobEnvelopeCodec.Read(JobEnvelopeCodec.Write(envelope));

        Assert.Equal(envelope.Id, read.Id);
        Assert.Equal(envelope.Name, read.Name);
        Assert.Equal(envelope.Payload.ToArray(), read.Payload.ToArray());
        Assert.Equal("json", read.Format);
        Assert.Equal(2, read.Attempt);
        Assert.Equal(5, read.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(30), read.Timeout);
        Assert.Equal(envelope.CreatedAt, read.CreatedAt);
        Assert.Equal(envelope.TraceParent, read.TraceParent);
    }

    [Fact]
    public void A_binary_payload_travels_as_base64_with_its_format_named()
    {
        var bytes = new byte[] { 0, 1, 2, 250, 255 };
        var envelope = new JobEnvelope { Id = "a1", Name = "blob", Payload = bytes, Format = "msgpack" };

        var json = Encoding.UTF8.GetString(JobEnvelopeCodec.Write(envelope));
        var read = JobEnvelopeCodec.Read(Encoding.UTF8.GetBytes(json));

        Assert.Contains("\"format\":\"msgpack\"", json);
        Assert.Contains("\"payload\":\"AAEC+v8=\"", json);
        Assert.Equal(bytes, read.Payload.ToArray());
    }

    [Fact]
    public void The_example_in_the_protocol_document_reads()
    {
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "protocol.md"));
        var start = doc.IndexOf("```json", StringComparison.Ordinal) + "```json".Length;
        var end = doc.IndexOf("```", start, StringComparison.Ordinal);

        var read = JobEnvelopeCodec.Read(Encoding.UTF8.GetBytes(doc[start..end]));

        Assert.Equal("images.resize", read.Name);
        Assert.Equal(3, read.MaxAttempts);
    }

    [Fact]
    public void Unknown_fields_are_ignored_and_defaults_fill_optional_ones()
    {
        var read = JobEnvelopeCodec.Read("""{"zzz":[1,{"a":2}],"v":1,"id":"x","name":"n","payload":null,"extra":"e"}"""u8);

        Assert.Equal(1, read.Attempt);
        Assert.Equal(1, read.MaxAttempts);
        Assert.Null(read.Timeout);
        Assert.Equal("null", Encoding.UTF8.GetString(read.Payload.Span));
        Assert.Equal(DateTimeOffset.UnixEpoch, read.CreatedAt);
    }

    [Fact]
    public void A_type_field_inside_the_payload_is_kept_as_data_and_never_resolved()
    {
        var data = """{"v":1,"id":"x","name":"n","payload":{"$type":"System.Diagnostics.Process, System","fileName":"/bin/sh"}}"""u8;

        var read = JobEnvelopeCodec.Read(data);
        var input = JsonJobSerializer.Default.Deserialize<Dictionary<string, object>>(read.Payload.Span);
        var typed = JsonJobSerializer.Default.Deserialize<Resize>(read.Payload.Span);

        Assert.Contains("System.Diagnostics.Process", Encoding.UTF8.GetString(read.Payload.Span));
        Assert.IsType<System.Text.Json.JsonElement>(input["$type"]);
        Assert.Null(typed.Path);
    }

    public static TheoryData<string, string, EnvelopeError> Hostile => new()
    {
        { "not JSON at all", "hello", EnvelopeError.NotJson },
        { "empty", "", EnvelopeError.NotJson },
        { "only whitespace", "   ", EnvelopeError.NotJson },
        { "truncated", """{"v":1,"id":"x","name":"n","payload":{"a":""", EnvelopeError.NotJson },
        { "an array", """[{"v":1}]""", EnvelopeError.NotAnObject },
        { "a string", "\"envelope\"", EnvelopeError.NotAnObject },
        { "a number", "42", EnvelopeError.NotAnObject },
        { "two documents", """{"v":1,"id":"x","name":"n","payload":1}{"v":1}""", EnvelopeError.NotJson },
        { "trailing garbage", """{"v":1,"id":"x","name":"n","payload":1} x""", EnvelopeError.NotJson },
        { "a comment", """{"v":1,/*c*/"id":"x","name":"n","payload":1}""", EnvelopeError.NotJson },
        { "a trailing comma", """{"v":1,"id":"x","name":"n","payload":1,}""", EnvelopeError.NotJson },
        { "no version", """{"id":"x","name":"n","payload":1}""", EnvelopeError.MissingField },
        { "no id", """{"v":1,"name":"n","payload":1}""", EnvelopeError.MissingField },
        { "no name", """{"v":1,"id":"x","payload":1}""", EnvelopeError.MissingField },
        { "no payload", """{"v":1,"id":"x","name":"n"}""", EnvelopeError.MissingField },
        { "a future version", """{"v":2,"id":7,"name":["whatever v2 means"]}""", EnvelopeError.UnsupportedVersion },
        { "version zero", """{"v":0,"id":"x","name":"n","payload":1}""", EnvelopeError.UnsupportedVersion },
        { "a version as a string", """{"v":"1","id":"x","name":"n","payload":1}""", EnvelopeError.InvalidField },
        { "a version with a fraction", """{"v":1.0,"id":"x","name":"n","payload":1}""", EnvelopeError.InvalidField },
        { "a version with an exponent", """{"v":1e0,"id":"x","name":"n","payload":1}""", EnvelopeError.InvalidField },
        { "a huge version", """{"v":1e400,"id":"x","name":"n","payload":1}""", EnvelopeError.InvalidField },
        { "an id with a space", """{"v":1,"id":"a b","name":"n","payload":1}""", EnvelopeError.InvalidField },
        { "an id with a brace", """{"v":1,"id":"{x}","name":"n","payload":1}""", EnvelopeError.InvalidField },
        { "an empty id", """{"v":1,"id":"","name":"n","payload":1}""", EnvelopeError.InvalidField },
        { "an id as a number", """{"v":1,"id":7,"name":"n","payload":1}""", EnvelopeError.InvalidField },
        { "a 201-character id", "{\"v\":1,\"id\":\"" + new string('a', 201) + "\",\"name\":\"n\",\"payload\":1}", EnvelopeError.InvalidField },
        { "a name with a slash", """{"v":1,"id":"x","name":"../etc/passwd","payload":1}""", EnvelopeError.InvalidField },
        { "a name with non-ASCII letters", """{"v":1,"id":"x","name":"naïve","payload":1}""", EnvelopeError.InvalidField },
        { "a name with an escaped newline", """{"v":1,"id":"x","name":"a\nb","payload":1}""", EnvelopeError.InvalidField },
        { "a lone surrogate in the name", """{"v":1,"id":"x","name":"\ud800","payload":1}""", EnvelopeError.InvalidField },
        { "a duplicated name", """{"v":1,"id":"x","name":"safe","name":"evil","payload":1}""", EnvelopeError.InvalidField },
        { "a duplicated payload", """{"v":1,"id":"x","name":"n","payload":1,"payload":2}""", EnvelopeError.InvalidField },
        { "a negative attempt", """{"v":1,"id":"x","name":"n","payload":1,"attempt":-1}""", EnvelopeError.InvalidField },
        { "an attempt past 32 bits", """{"v":1,"id":"x","name":"n","payload":1,"attempt":4294967296}""", EnvelopeError.InvalidField },
        { "a huge attempt", """{"v":1,"id":"x","name":"n","payload":1,"attempt":123456789012345678901234567890}""", EnvelopeError.InvalidField },
        { "zero max attempts", """{"v":1,"id":"x","name":"n","payload":1,"maxAttempts":0}""", EnvelopeError.InvalidField },
        { "a zero timeout", """{"v":1,"id":"x","name":"n","payload":1,"timeoutMs":0}""", EnvelopeError.InvalidField },
        { "a timeout past the limit", """{"v":1,"id":"x","name":"n","payload":1,"timeoutMs":9223372036854775807}""", EnvelopeError.InvalidField },
        { "a negative creation time", """{"v":1,"id":"x","name":"n","payload":1,"createdAt":-5}""", EnvelopeError.InvalidField },
        { "a creation time past year 9999", """{"v":1,"id":"x","name":"n","payload":1,"createdAt":253402300800000}""", EnvelopeError.InvalidField },
        { "a format in capitals", """{"v":1,"id":"x","name":"n","payload":"AA==","format":"JSON"}""", EnvelopeError.InvalidField },
        { "a binary payload that is not a string", """{"v":1,"id":"x","name":"n","payload":[1],"format":"raw"}""", EnvelopeError.InvalidField },
        { "a binary payload that is not base64", """{"v":1,"id":"x","name":"n","payload":"!!!","format":"raw"}""", EnvelopeError.InvalidField },
        { "a traceparent with spaces", """{"v":1,"id":"x","name":"n","payload":1,"traceparent":"00 x"}""", EnvelopeError.InvalidField },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void A_hostile_envelope_is_refused_with_a_reason(string what, string json, EnvelopeError reason)
    {
        var error = Assert.Throws<EnvelopeException>(() => JobEnvelopeCodec.Read(Encoding.UTF8.GetBytes(json)));
        Assert.True(reason == error.Reason, $"{what}: expected {reason}, got {error.Reason}: {error.Message}");
    }

    [Fact]
    public void A_byte_order_mark_is_refused_and_named()
    {
        var error = Assert.Throws<EnvelopeException>(() => JobEnvelopeCodec.Read([0xEF, 0xBB, 0xBF, .. Valid]));
        Assert.Equal(EnvelopeError.NotJson, error.Reason);
        Assert.Contains("byte order mark", error.Message);
    }

    [Fact]
    public void Invalid_UTF8_anywhere_is_refused_even_inside_the_payload()
    {
        var data = Encoding.UTF8.GetBytes("""{"v":1,"id":"x","name":"n","payload":"ab"}""");
        var bad = data.ToList();
        bad.Insert(bad.IndexOf((byte)'b'), 0xC3);
        bad.Insert(bad.IndexOf((byte)'b'), 0x28);

        var error = Assert.Throws<EnvelopeException>(() => JobEnvelopeCodec.Read(bad.ToArray()));

        Assert.Equal(EnvelopeError.NotJson, error.Reason);
        Assert.Contains("UTF-8", error.Message);
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_refused_without_overflowing_the_stack()
    {
        var deep = new StringBuilder("""{"v":1,"id":"x","name":"n","payload":""");
        deep.Append('[', 100_000).Append(']', 100_000).Append('}');

        var error = Assert.Throws<EnvelopeException>(() => JobEnvelopeCodec.Read(Encoding.UTF8.GetBytes(deep.ToString())));

        Assert.Equal(EnvelopeError.NotJson, error.Reason);
        var ok = new StringBuilder("""{"v":1,"id":"x","name":"n","payload":""").Append('[', JobEnvelopeCodec.MaxDepth - 1).Append(']', JobEnvelopeCodec.MaxDepth - 1).Append('}');
        Assert.Equal(JobEnvelopeCodec.MaxDepth - 1, JobEnvelopeCodec.Read(Encoding.UTF8.GetBytes(ok.ToString())).Payload.Span.IndexOf((byte)']'));
    }

    [Fact]
    public void Huge_numbers_in_the_payload_are_data_and_fail_only_when_bound_to_a_small_type()
    {
        var read = JobEnvelopeCodec.Read("""{"v":1,"id":"x","name":"n","payload":{"width":1e400}}"""u8);

        var error = Assert.Throws<JobSerializationException>(() => JsonJobSerializer.Default.Deserialize<Resize>(read.Payload.Span));

        Assert.Contains("Resize", error.Message);
    }

    [Fact]
    public void An_envelope_over_the_size_limit_is_refused_before_it_is_parsed()
    {
        var error = Assert.Throws<EnvelopeException>(() => JobEnvelopeCodec.Read(Valid, maxBytes: 10));
        Assert.Equal(EnvelopeError.TooLarge, error.Reason);
    }

    [Fact]
    public void Field_names_written_with_escapes_are_the_same_fields()
    {
        var read = JobEnvelopeCodec.Read("""{"\u0076":1,"\u0069d":"x","name":"n","payload":1}"""u8);
        Assert.Equal("x", read.Id);
    }

    [Fact]
    public void Writing_refuses_an_invalid_envelope_instead_of_producing_one()
    {
        Assert.Throws<ArgumentException>(() => JobEnvelopeCodec.Write(new JobEnvelope { Id = "a b", Name = "n", Payload = "1"u8.ToArray() }));
        Assert.Throws<ArgumentException>(() => JobEnvelopeCodec.Write(new JobEnvelope { Id = "a", Name = "n", Payload = "{not json"u8.ToArray() }));
        Assert.Throws<ArgumentException>(() => JobEnvelopeCodec.Write(new JobEnvelope { Id = "a", Name = "n", Payload = "1"u8.ToArray(), Timeout = TimeSpan.FromDays(100) }));
        Assert.Throws<ArgumentException>(() => JobEnvelopeCodec.Write(new JobEnvelope { Id = "a", Name = "n", Payload = "1"u8.ToArray(), Attempt = 0 }));
        Assert.Throws<ArgumentException>(() => JobEnvelopeCodec.Write(new JobEnvelope { Id = "a", Name = "n", Payload = "1 2"u8.ToArray() }));
    }

    [Fact]
    public void Writing_to_a_buffer_writer_appends_exactly_the_envelope()
    {
        var buffer = new ArrayBufferWriter<byte>();
        JobEnvelopeCodec.Write(new JobEnvelope { Id = "a", Name = "n", Payload = "[1,2]"u8.ToArray(), CreatedAt = DateTimeOffset.UnixEpoch }, buffer);
        Assert.Equal("""{"v":1,"id":"a","name":"n","createdAt":0,"payload":[1,2]}""", Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    internal static string RepositoryRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "Gamut.slnx")))
        {
            dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("Gamut.slnx not found above the test binaries");
        }

        return dir;
    }

    public sealed record Resize(string? Path, int Width);
}
