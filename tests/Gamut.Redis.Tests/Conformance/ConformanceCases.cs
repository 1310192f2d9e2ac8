using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gamut.Redis.Tests.Conformance;

/// <summary>The conformance cases (conformance/cases/*.json at the repository root), each named by file and index.</summary>
public static class ConformanceCases
{
    /// <summary>The folder of case files, found upwards from the test assembly.</summary>
    public static string Folder { get; } = Find();

    /// <summary>Every case, as (file, index, name), for a theory.</summary>
    public static TheoryData<string, int, string> All()
    {
        var data = new TheoryData<string, int, string>();
        foreach (var path in Directory.GetFiles(Folder, "*.json").Order(StringComparer.Ordinal))
        {
            var cases = Load(path);
            for (var i = 0; i < cases.Count; i++)
            {
                data.Add(Path.GetFileName(path), i, (string)cases[i]!["name"]!);
            }
        }

        return data;
    }

    /// <summary>Case <paramref name="index"/> of <paramref name="file"/>, with every <c>$P</c> replaced by the prefix.</summary>
    public static JsonObject Get(string file, int index, string prefix)
    {
        var text = File.ReadAllText(Path.Combine(Folder, file));
        // $P appears only inside JSON strings; replacing it in the text keeps the document valid.
        var cases = JsonNode.Parse(text.Replace("$P", prefix, StringComparison.Ordinal))!.AsArray();
        return cases[index]!.AsObject();
    }

    private static JsonArray Load(string path) => JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Disallow })!.AsArray();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "conformance", "cases");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("conformance/cases was not found above " + AppContext.BaseDirectory);
    }
}
