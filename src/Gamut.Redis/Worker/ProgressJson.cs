using System.Text.Json.Serialization;

namespace Gamut.Redis.Worker;

/// <summary>A progress report as published: <c>{"fraction":0.5,"message":"…"}</c>.</summary>
internal sealed record ProgressBody(
    [property: JsonPropertyName("fraction")] double? Fraction,
    [property: JsonPropertyName("message")] string? Message);

[JsonSerializable(typeof(ProgressBody))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class ProgressJson : JsonSerializerContext;
