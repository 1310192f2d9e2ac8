using System.Globalization;
using Gamut.Redis;
using Gamut.Redis.Connection;
using Gamut.Redis.Keys;

namespace Gamut.Cli.Redis;

/// <summary>A bad command line for <c>gamut worker</c>, <c>gamut status</c> or <c>gamut run --redis</c>.</summary>
internal sealed class RedisUsageException(string message) : Exception(message);

/// <summary>The options shared by the Redis sub-commands: where Redis is and the application's key prefix.</summary>
internal sealed class RedisArgs
{
    public string? Url { get; private set; } = Environment.GetEnvironmentVariable("GAMUT_REDIS_URL");

    public string Prefix { get; private set; } = Environment.GetEnvironmentVariable("GAMUT_REDIS_PREFIX") is { Length: > 0 } p ? p : RedisOptions.DefaultKeyPrefix;

    /// <summary>Takes <c>--redis URL</c> or <c>--prefix P</c> at <paramref name="i"/>; returns whether it did.</summary>
    public bool TryTake(IReadOnlyList<string> args, ref int i)
    {
        switch (args[i])
        {
            case "--redis":
                Url = Value(args, ref i);
                return true;
            case "--prefix":
                Prefix = Value(args, ref i);
                if (!KeyNames.IsValidPrefix(Prefix))
                {
                    throw new RedisUsageException($"--prefix '{Prefix}' is not valid: use 1 to 64 ASCII letters, digits and . _ - :");
                }

                return true;
            default:
                if (args[i].StartsWith("--redis=", StringComparison.Ordinal))
                {
                    Url = args[i]["--redis=".Length..];
                    return true;
                }

                return false;
        }
    }

    public RedisOptions ToOptions(string command = "gamut")
    {
        if (string.IsNullOrEmpty(Url))
        {
            throw new RedisUsageException("--redis URL is required (e.g. --redis redis://127.0.0.1:6379), or set GAMUT_REDIS_URL");
        }

        IReadOnlyList<(string Url, StackExchange.Redis.ConfigurationOptions? Options, RedisUrlException? Error)> entries;
        try
        {
            entries = RedisUrl.ParseList(Url);
        }
        catch (RedisUrlException e)
        {
            throw new RedisUsageException(e.Message);
        }

        // A list of instances (a ring, or a Cluster's nodes) starts with any good one: the bad ones are named and left out.
        var good = entries.Where(e => e.Options is not null).Select(e => e.Options!).ToList();
        foreach (var bad in entries.Where(e => e.Error is not null))
        {
            if (entries.Count == 1)
            {
                throw new RedisUsageException(bad.Error!.Message);
            }

            Console.Error.WriteLine($"{command}: warning: --redis: {bad.Error!.Message}; carrying on with the other instances");
        }

        if (good.Count == 0)
        {
            throw new RedisUsageException($"--redis '{RedisUrl.Redact(Url)}': no usable instance in the list");
        }

        var options = good.Count == 1 ? new RedisOptions { Configuration = good[0] } : new RedisOptions { Configuration = good[0], Instances = good };
        return options.WithKeyPrefix(Prefix).WithLogger(new StderrLogger(command, Logging));
    }

    /// <summary>The least important log lines shown (warnings only for the short-lived commands).</summary>
    public Microsoft.Extensions.Logging.LogLevel Logging { get; set; } = Microsoft.Extensions.Logging.LogLevel.Information;

    public static string Value(IReadOnlyList<string> args, ref int i)
    {
        var name = args[i];
        if (i + 1 >= args.Count)
        {
            throw new RedisUsageException($"{name} needs a value");
        }

        return args[++i];
    }

    public static int PositiveInt(string name, string value)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
        {
            throw new RedisUsageException($"{name} '{value}' is not a positive whole number");
        }

        return n;
    }

    /// <summary>One queue name, checked here so the message is the CLI's own.</summary>
    public static string Queue(string option, string value) => KeyNames.IsValidQueue(value)
        ? value
        : throw new RedisUsageException($"{option} '{value}' is not a queue name: use 1 to {KeyNames.MaxQueueLength} ASCII letters, digits and . _ -");

    public static IReadOnlyList<string> Queues(string value)
    {
        var queues = value.Split(',');
        foreach (var q in queues)
        {
            if (!KeyNames.IsValidQueue(q))
            {
                throw new RedisUsageException($"--queues '{value}': '{q}' is not a queue name (1 to {KeyNames.MaxQueueLength} ASCII letters, digits and . _ -)");
            }
        }

        if (queues.Distinct(StringComparer.Ordinal).Count() != queues.Length)
        {
            throw new RedisUsageException($"--queues '{value}' names a queue twice");
        }

        return queues;
    }
}
