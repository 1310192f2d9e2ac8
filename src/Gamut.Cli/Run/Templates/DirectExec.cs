using System.Collections.Frozen;
using System.Text;

namespace Gamut.Cli.Run.Templates;

/// <summary>
/// Decides whether a composed command line needs a shell at all. A line of plain words — letters, digits, a few
/// punctuation marks, and values quoted the way <see cref="ShellQuote"/> quotes them — means the same to every
/// Bourne shell: run the first word with the rest as arguments. Such a line is split here and the program exec'd
/// directly, which halves the cost of a job (no shell to start). Anything the shell would interpret (variables,
/// globs, pipes, redirections, keywords, builtins, functions) goes to the shell, so the result is the same.
/// </summary>
internal sealed class DirectExec
{
    // Builtins and keywords behave differently (or only exist) inside a shell. true/false, and echo/printf under
    // the conditions in IsSafeBuiltinUse, match their /usr/bin twins exactly.
    private static readonly FrozenSet<string> ShellOnly = new[]
    {
        "alias", "bg", "bind", "break", "builtin", "caller", "cd", "command", "compgen", "complete", "compopt",
        "continue", "declare", "dirs", "disown", "enable", "eval", "exec", "exit", "export", "fc", "fg",
        "getopts", "hash", "help", "history", "jobs", "kill", "let", "local", "logout", "mapfile", "popd", "pushd",
        "pwd", "read", "readarray", "readonly", "return", "set", "shift", "shopt", "source", "suspend", "test",
        "times", "trap", "type", "typeset", "ulimit", "umask", "unalias", "unset", "wait", ".", ":", "[",
        "if", "then", "else", "elif", "fi", "case", "esac", "for", "select", "while", "until", "do", "done", "in",
        "function", "time", "{", "}", "!", "[[", "]]", "coproc",
    }.ToFrozenSet(StringComparer.Ordinal);

    private readonly Func<string, string?> _resolve;
    private readonly Dictionary<string, string?> _resolved = new(StringComparer.Ordinal);
    private readonly bool _posixlyCorrect;

    /// <param name="resolve">Finds a program on PATH (null when it is not there).</param>
    public DirectExec(Func<string, string?> resolve)
    {
        _resolve = resolve;
        _posixlyCorrect = Environment.GetEnvironmentVariable("POSIXLY_CORRECT") is not null;
    }

    /// <summary>
    /// The program and its arguments when <paramref name="line"/> can run without a shell; null when it needs one.
    /// </summary>
    public (string Program, string[] Argv)? TrySplit(string line)
    {
        var words = Split(line);
        if (words is null || words.Count == 0)
        {
            return null;
        }

        var name = words[0];
        if (name.Length == 0 || ShellOnly.Contains(name) || !IsSafeBuiltinUse(name, words))
        {
            return null;
        }

        // An exported bash function of that name would win over the program.
        if (!name.Contains('/') && Environment.GetEnvironmentVariable($"BASH_FUNC_{name}%%") is not null)
        {
            return null;
        }

        if (!_resolved.TryGetValue(name, out var program))
        {
            program = name.Contains('/') ? (File.Exists(name) ? name : null) : _resolve(name);
            _resolved[name] = program;
        }

        // Not found: let the shell say so, with its own message and exit status (127).
        return program is null ? null : (program, words.ToArray());
    }

    private bool IsSafeBuiltinUse(string name, List<string> words)
    {
        switch (name)
        {
            case "echo":
                // Shells' echo builtins differ on -e/-n and backslashes; coreutils' echo knows --help.
                if (_posixlyCorrect)
                {
                    return false;
                }

                for (var i = 1; i < words.Count; i++)
                {
                    if (words[i].StartsWith('-') || words[i].Contains('\\'))
                    {
                        return false;
                    }
                }

                return true;
            case "printf":
                if (words.Count < 2 || words[1].StartsWith('-'))
                {
                    return false;
                }

                return !words[1].Contains("%q", StringComparison.Ordinal) && !words[1].Contains("%Q", StringComparison.Ordinal)
                    && !words[1].Contains("%(", StringComparison.Ordinal);
            default:
                return true;
        }
    }

    // Splits a line into words the way any Bourne shell would, or returns null at the first character a shell
    // could interpret. Unquoted: letters, digits and - _ . , / + : @ % ^ (and = after the first word). Quoted:
    // anything inside '…'; inside "…" anything but $ ` \ !.
    internal static List<string>? Split(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        var i = 0;
        while (i < line.Length)
        {
            var c = line[i];
            if (c is ' ' or '\t')
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
            if (c == '\'')
            {
                var end = line.IndexOf('\'', i + 1);
                if (end < 0)
                {
                    return null;
                }

                word.Append(line, i + 1, end - i - 1);
                i = end + 1;
            }
            else if (c == '"')
            {
                var j = i + 1;
                while (j < line.Length && line[j] != '"')
                {
                    if (line[j] is '$' or '`' or '\\' or '!')
                    {
                        return null;
                    }

                    j++;
                }

                if (j >= line.Length)
                {
                    return null;
                }

                word.Append(line, i + 1, j - i - 1);
                i = j + 1;
            }
            else if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ',' or '/' or '+' or ':' or '@' or '%' or '^'
                     || (c == '=' && words.Count > 0))
            {
                word.Append(c);
                i++;
            }
            else
            {
                return null;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }
}
