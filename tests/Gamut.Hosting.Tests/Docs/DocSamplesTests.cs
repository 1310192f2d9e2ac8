using System.Text.RegularExpressions;
using Gamut.Hosting.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Gamut.Hosting.Tests.Docs;

/// <summary>
/// Every <c>```csharp</c> block of README.md, docs/ and the packages' READMEs compiles as written: each block is its
/// own program (top-level statements allowed) with the implicit usings of an SDK project, against Gamut's assemblies
/// and the framework, with C# 14 and nullable on.
/// </summary>
public sealed partial class DocSamplesTests
{
    private static readonly string[] ImplicitUsings =
    [
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks",
    ];

    private static readonly Lazy<MetadataReference[]> References = new(() =>
    {
        // The framework the tests run on, and every assembly beside them (Gamut's, the hosting package's, their dependencies).
        var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var beside = Directory.GetFiles(AppContext.BaseDirectory, "*.dll");
        return [.. trusted.Concat(beside)
            .GroupBy(Path.GetFileName, StringComparer.OrdinalIgnoreCase)
            .Select(g => g.First())
            .Where(IsManaged)
            .Select(p => MetadataReference.CreateFromFile(p))];
    });

    public static TheoryData<string, int> Samples()
    {
        var data = new TheoryData<string, int>();
        foreach (var (file, index, _) in AllSamples())
        {
            data.Add(file, index);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void A_csharp_sample_compiles_as_written(string file, int index)
    {
        var code = AllSamples().Single(s => s.File == file && s.Index == index).Code;
        var options = new CSharpParseOptions(LanguageVersion.CSharp14);
        var usings = CSharpSyntaxTree.ParseText(string.Concat(ImplicitUsings.Select(u => $"global using global::{u};\n")), options);
        var tree = CSharpSyntaxTree.ParseText(code, options, path: $"{file}#{index}");
        var hasStatements = tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.GlobalStatementSyntax>().Any();
        var compilation = CSharpCompilation.Create(
            "Sample",
            [usings, tree],
            References.Value,
            new CSharpCompilationOptions(hasStatements ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, $"{file}, C# block {index}:\n{string.Join('\n', errors)}\n---\n{code}");
    }

    /// <summary>The blocks: file (relative to the repository), index within it (from 1), code.</summary>
    private static IEnumerable<(string File, int Index, string Code)> AllSamples()
    {
        var files = new[] { "README.md" }
            .Concat(Directory.GetFiles(Path.Combine(Repo.Root, "docs"), "*.md", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Repo.Root, f)))
            .Concat(Directory.GetFiles(Path.Combine(Repo.Root, "src"), "README.md", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Repo.Root, f)))
            .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var index = 0;
            foreach (Match m in CsharpBlock().Matches(File.ReadAllText(Path.Combine(Repo.Root, file))))
            {
                yield return (file, ++index, m.Groups[1].Value);
            }
        }
    }

    private static bool IsManaged(string path)
    {
        try
        {
            System.Reflection.AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^```csharp[ \t]*\r?\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CsharpBlock();
}
