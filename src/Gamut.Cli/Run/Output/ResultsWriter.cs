using System.Globalization;
using System.Text;
using Gamut.Cli.Run.Execution;
using Gamut.Cli.Run.Options;

namespace Gamut.Cli.Run.Output;

/// <summary>
/// <c>--results DIR</c>: each finished job's output in files, laid out as GNU parallel lays them out —
/// <c>DIR/1/VALUE1/2/VALUE2/…/stdout</c>, <c>stderr</c> and <c>seq</c> (the job's number, no newline). The
/// names are the source numbers, or the <c>--header</c> column names; in a value <c>\</c> becomes <c>\\</c>,
/// a tab <c>\t</c>, NUL <c>\0</c> and <c>/</c> <c>\_</c>. The output is printed as well, as without it.
/// </summary>
internal sealed class ResultsWriter(string root, IReadOnlyList<string> headerNames)
{
    public void Write(FinishedJob job)
    {
        var dir = Directory(job.Job.Values);
        try
        {
            System.IO.Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Combine(dir, "stdout"), job.Outcome.Stdout);
            File.WriteAllBytes(Path.Combine(dir, "stderr"), job.Outcome.Stderr);
            File.WriteAllText(Path.Combine(dir, "seq"), job.Job.Seq.ToString(CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot write --results under '{root}': {e.Message}");
        }
    }

    private string Directory(IReadOnlyList<string> values)
    {
        var sb = new StringBuilder(root);
        for (var i = 0; i < values.Count; i++)
        {
            var name = i < headerNames.Count && headerNames[i].Length > 0 ? headerNames[i] : (i + 1).ToString(CultureInfo.InvariantCulture);
            sb.Append('/').Append(name).Append('/');
            foreach (var c in values[i])
            {
                sb.Append(c switch
                {
                    '\\' => "\\\\",
                    '\t' => "\\t",
                    '\0' => "\\0",
                    '/' => "\\_",
                    _ => c.ToString(),
                });
            }
        }

        return sb.ToString();
    }
}
