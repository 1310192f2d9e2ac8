using System.Text;

namespace Gamut.Cli.Run.Options;

/// <summary>
/// Splits a line into words the way a Bourne shell would without expanding anything (GNU parallel's
/// <c>shell_words</c>): blanks separate words, single quotes keep everything, double quotes keep everything but
/// backslash escapes of <c>\ " $ `</c>, a backslash outside quotes keeps the next character.
/// Used for <c>$PARALLEL</c> and the lines of a profile.
/// </summary>
internal static class ShellWords
{
    public static List<string> Split(string line, string where)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        var i = 0;
        while (i < line.Length)
        {
            var c = line[i];
            if (c is ' ' or '\t' or '\n' or '\r')
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }

                i++;
                continue;
            }

            inWord = true;
            switch (c)
            {
                case '\'':
                    var close = line.IndexOf('\'', i + 1);
                    if (close < 0)
                    {
                        throw new UsageException($"{where}: a single quote is not closed");
                    }

                    word.Append(line, i + 1, close - i - 1);
                    i = close + 1;
                    break;
                case '"':
                    i++;
                    while (true)
                    {
                        if (i >= line.Length)
                        {
                            throw new UsageException($"{where}: a double quote is not closed");
                        }

                        if (line[i] == '"')
                        {
                            i++;
                            break;
                        }

                        if (line[i] == '\\' && i + 1 < line.Length && line[i + 1] is '\\' or '"' or '$' or '`')
                        {
                            i++;
                        }

                        word.Append(line[i++]);
                    }

                    break;
                case '\\':
                    if (i + 1 < line.Length)
                    {
                        word.Append(line[i + 1]);
                    }

                    i += 2;
                    break;
                default:
                    word.Append(c);
                    i++;
                    break;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }
}
