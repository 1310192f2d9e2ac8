using System.Text.RegularExpressions;
using Gamut.Cli.Run.Options;

namespace Gamut.Cli.Run.Inputs;

/// <summary><c>--colsep REGEX</c>: splits each value into columns, each trimmed of surrounding white space (as GNU parallel's implied <c>--trim lr</c>).</summary>
internal sealed class ColumnSplitter
{
    private readonly Regex _regex;

    public ColumnSplitter(string pattern)
    {
        try
        {
            _regex = new Regex(pattern, RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--colsep '{pattern}' is not a valid regular expression: {e.Message}");
        }
    }

    public void SplitInto(string value, List<string> columns)
    {
        foreach (var column in _regex.Split(value))
        {
            columns.Add(column.Trim(' ', '\t', '\n', '\r'));
        }
    }
}
