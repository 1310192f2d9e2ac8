using System.Text.Json;
using System.Text.Json.Serialization;
using Gamut.Jobs.Commands;

namespace Gamut.Jobs;

/// <summary>
/// Source-generated JSON metadata for the types Gamut itself sends across boundaries (a command, its outcome, an
/// error), so that a worker process serializes them without reflection or warm-up. <see cref="JsonJobSerializer"/>
/// consults it first and falls back to reflection for users' own types.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.General,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    MaxDepth = 64)]
[JsonSerializable(typeof(JobError))]
[JsonSerializable(typeof(CommandSpec))]
[JsonSerializable(typeof(CommandOutcome))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(bool))]
internal sealed partial class GamutJsonContext : JsonSerializerContext;
