using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit.Sdk;

namespace Gamut.Redis.Tests.Conformance;

/// <summary>
/// Compares an actual value with a case's expectation and its placeholders (conformance/README.md): <c>$any</c>,
/// <c>$now</c> / <c>$now+N</c> (Redis milliseconds within the step's window), <c>$re:REGEX</c>, and
/// <c>{"$json": X}</c> (a string holding JSON that matches X).
/// </summary>
public static class ConformanceMatch
{
    private static double Number(JsonNode n) => double.Parse(n.ToJsonString(), CultureInfo.InvariantCulture);

    public static void Match(JsonNode? expected, JsonNode? actual, (long From, long To) window, string where)
    {
        if (expected is JsonObject o && o.Count == 1 && o.ContainsKey("$json"))
        {
            JsonNode? parsed;
            try
            {
                parsed = JsonNode.Parse(actual?.GetValue<string>() ?? "");
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                throw new XunitException($"{where}: expected JSON, got {actual?.ToJsonString()}");
            }

            Match(o["$json"], parsed, window, where);
            return;
        }

        if (expected is JsonValue ev && ev.TryGetValue<string>(out var s))
        {
            if (s == "$any")
            {
                return;
            }

            if (s.StartsWith("$now", StringComparison.Ordinal))
            {
                var offset = s.Length > 4 ? long.Parse(s[5..], CultureInfo.InvariantCulture) : 0;
                var text = actual is JsonValue av && av.TryGetValue<string>(out var a) ? a : actual?.ToJsonString();
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v < window.From + offset || v > window.To + offset)
                {
                    throw new XunitException($"{where}: {text} is not a time within [{window.From + offset}, {window.To + offset}]");
                }

                return;
            }

            if (s.StartsWith("$re:", StringComparison.Ordinal))
            {
                if (actual is not JsonValue rv || !rv.TryGetValue<string>(out var r) || !Regex.IsMatch(r, s[4..]))
                {
                    throw new XunitException($"{where}: {actual?.ToJsonString()} does not match {s[4..]}");
                }

                return;
            }
        }

        switch (expected)
        {
            case JsonObject eo:
                if (actual is not JsonObject ao || !eo.Select(p => p.Key).Order(StringComparer.Ordinal).SequenceEqual(ao.Select(p => p.Key).Order(StringComparer.Ordinal)))
                {
                    throw new XunitException($"{where}: expected fields [{string.Join(", ", eo.Select(p => p.Key).Order(StringComparer.Ordinal))}], got {actual?.ToJsonString()}");
                }

                foreach (var (key, value) in eo)
                {
                    Match(value, ao[key], window, where + "." + key);
                }

                return;
            case JsonArray ea:
                if (actual is not JsonArray aa || aa.Count != ea.Count)
                {
                    throw new XunitException($"{where}: expected {ea.ToJsonString()}, got {actual?.ToJsonString()}");
                }

                for (var i = 0; i < ea.Count; i++)
                {
                    Match(ea[i], aa[i], window, $"{where}[{i}]");
                }

                return;
            case null:
                if (actual is not null)
                {
                    throw new XunitException($"{where}: expected null, got {actual.ToJsonString()}");
                }

                return;
            case JsonValue value when value.GetValueKind() == JsonValueKind.Number:
                if (actual is not JsonValue n || n.GetValueKind() != JsonValueKind.Number || Number(value) != Number(n))
                {
                    throw new XunitException($"{where}: expected {value.ToJsonString()}, got {actual?.ToJsonString()}");
                }

                return;
            default:
                if (!JsonNode.DeepEquals(expected, actual))
                {
                    throw new XunitException($"{where}: expected {expected.ToJsonString()}, got {actual?.ToJsonString()}");
                }

                return;
        }
    }
}
