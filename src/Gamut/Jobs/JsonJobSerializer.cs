using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Gamut.Jobs;

/// <summary>
/// The default serializer: System.Text.Json, camelCase, at most 64 levels of nesting, no polymorphic type
/// names unless a type opts in with <c>[JsonDerivedType]</c> (otherwise a <c>$type</c> field is plain data), NaN and
/// Infinity refused. Gamut's own types (commands, outcomes, errors) use source-generated metadata.
/// </summary>
public sealed class JsonJobSerializer : IJobSerializer
{
    /// <summary>The shared default instance.</summary>
    public static JsonJobSerializer Default { get; } = new();

    /// <summary>Creates a serializer.</summary>
    /// <param name="options">
    /// The options to use, e.g. with a source-generated <see cref="System.Text.Json.Serialization.JsonSerializerContext"/> as
    /// resolver; when null, Gamut's defaults.
    /// </param>
    public JsonJobSerializer(JsonSerializerOptions? options = null)
    {
        Options = options ?? CreateDefaultOptions();
        Options.MakeReadOnly(populateMissingResolver: true);
    }

    /// <summary>The options in use (read-only).</summary>
    public JsonSerializerOptions Options { get; }

    /// <inheritdoc/>
    public string Format => "json";

    /// <summary>Gamut's default options, to start from when you want to change one thing.</summary>
    public static JsonSerializerOptions CreateDefaultOptions() => new(JsonSerializerDefaults.General)
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        MaxDepth = 64,
        TypeInfoResolver = JsonTypeInfoResolver.Combine(GamutJsonContext.Default, new DefaultJsonTypeInfoResolver()),
    };

    /// <inheritdoc/>
    public void Serialize<T>(IBufferWriter<byte> destination, T value)
    {
        try
        {
            using var writer = new Utf8JsonWriter(destination, new JsonWriterOptions { MaxDepth = Options.MaxDepth, SkipValidation = true });
            JsonSerializer.Serialize(writer, value, Options);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            throw new JobSerializationException($"A {typeof(T).Name} did not serialize to JSON: {e.Message}", e);
        }
    }

    /// <inheritdoc/>
    public T Deserialize<T>(ReadOnlySpan<byte> data)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(data, Options)!;
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            throw new JobSerializationException($"The data is not a valid {typeof(T).Name}: {e.Message}", e);
        }
    }
}
