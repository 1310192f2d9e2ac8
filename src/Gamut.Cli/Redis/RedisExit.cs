using Gamut.Redis;

namespace Gamut.Cli.Redis;

/// <summary>
/// The one home of the error handling of the Redis commands (<c>gamut run --redis</c>, <c>worker</c>, <c>status</c>,
/// <c>ring</c>, <c>schedule</c>): each kind of failure is one line on stderr, in Gamut's words, and one exit status, the same in every
/// command (docs/redis.md, "Exit status"). They lie above 101, so they never mean a count of failed jobs in
/// <c>gamut run</c> (1-100, 101 for more, as GNU parallel).
/// </summary>
internal static class RedisExit
{
    /// <summary>A key holds another type than Gamut keeps there (another client or an older version wrote it).</summary>
    public const int WrongType = 252;

    /// <summary>Redis stopped answering, or refused the work (full, a fail-over), after the command had started.</summary>
    public const int Unavailable = 253;

    /// <summary>Gamut could not start on Redis: nothing answered, credentials or TLS refused, a missing permission, an unsafe configuration.</summary>
    public const int Startup = 254;

    /// <summary>A bad command line.</summary>
    public const int Usage = 255;

    /// <summary>Runs <paramref name="body"/>; a failure of a kind above is told on one line and becomes its exit status.</summary>
    /// <param name="command">The command as a person typed it, e.g. <c>gamut status</c>.</param>
    /// <param name="body">The command's work; returns its own exit status.</param>
    public static int Run(string command, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (StatusOf(e) is { } status)
        {
            Console.Error.WriteLine($"{command}: {Describe(e)}");
            if (status == Usage)
            {
                Console.Error.WriteLine($"Try '{command} --help'.");
            }

            return status;
        }
    }

    /// <summary>The exit status of a failure of a known kind, or null for a bug (which keeps its stack trace).</summary>
    public static int? StatusOf(Exception e) => e switch
    {
        AggregateException { InnerExceptions: [var only] } => StatusOf(only),
        RedisUsageException or ArgumentException => Usage,
        RedisStartupException => Startup,
        RedisKeyTypeException => WrongType,
        RedisUnavailableException or RedisFullException => Unavailable,
        _ => null,
    };

    private static string Describe(Exception e) => e switch
    {
        AggregateException { InnerExceptions: [var only] } => Describe(only),
        ArgumentException { ParamName: { } name } a => WithoutParameter(a.Message, name),
        _ => e.Message,
    };

    // An ArgumentException's message ends with its parameter's name, in a form that depends on the runtime's resources
    // (" (Parameter 'queue')", or the raw resource key "Arg_ParamName_Name, queue" without them): a person needs neither.
    private static string WithoutParameter(string message, string name)
    {
        foreach (var suffix in new[] { $" (Parameter '{name}')", $" Arg_ParamName_Name, {name}", $"Arg_ParamName_Name, {name}" })
        {
            if (message.EndsWith(suffix, StringComparison.Ordinal))
            {
                return message[..^suffix.Length].TrimEnd();
            }
        }

        return message;
    }
}
