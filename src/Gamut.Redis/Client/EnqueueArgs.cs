using System.Globalization;
using Gamut.Executors;
using Gamut.Redis.Keys;
using StackExchange.Redis;

namespace Gamut.Redis;

/// <summary>Builds the argument list of the enqueue script (scripts/enqueue.lua).</summary>
internal static class EnqueueArgs
{
    public static RedisKey[] Keys(QueueKeys q) => [q.Ready, q.Delayed, q.Stats];

    public static List<RedisValue> Start(QueueKeys q, int count) =>
        [q.JobPrefix, count, q.WakeChannel.ToString()];

    public static void Add(List<RedisValue> args, string id, string name, byte[] payload, JobOptions options, string? watcher, IReadOnlyList<(string Field, RedisValue Value)>? more = null)
    {
        // The trace context the job carries to its worker: the enqueue's own producer span, else the caller's.
        var trace = System.Diagnostics.Activity.Current;
        args.Add(id);
        args.Add(name);
        args.Add(payload);
        args.Add(options.Delay is { } d ? Math.Max(1, (long)d.TotalMilliseconds) : 0);
        var countAt = args.Count;
        args.Add(0);
        var extra = 0;
        if (options.Retry.MaxAttempts > 1)
        {
            args.Add(JobFields.MaxAttempts);
            args.Add(options.Retry.MaxAttempts);
            if (options.Retry != RetryPolicy.Attempts(options.Retry.MaxAttempts))
            {
                args.Add(JobFields.Backoff);
                args.Add(Backoff.Format(options.Retry));
                extra++;
            }

            extra++;
        }

        if (options.Timeout is { } t)
        {
            args.Add(JobFields.TimeoutMs);
            args.Add(Math.Max(1, (long)t.TotalMilliseconds));
            extra++;
        }

        if (watcher is not null)
        {
            args.Add(JobFields.Watchers);
            args.Add(watcher);
            extra++;
        }

        if (trace is not null && trace.IdFormat == System.Diagnostics.ActivityIdFormat.W3C)
        {
            args.Add(JobFields.TraceParent);
            args.Add(trace.Id);
            extra++;
            if (trace.TraceStateString is { Length: > 0 } state)
            {
                args.Add(JobFields.TraceState);
                args.Add(state);
                extra++;
            }
        }

        if (options.ConcurrencyKey is { } ck)
        {
            args.Add(JobFields.ConcurrencyKey);
            args.Add(ck);
            extra++;
        }

        foreach (var (field, value) in more ?? [])
        {
            args.Add(field);
            args.Add(value);
            extra++;
        }

        args[countAt] = extra;
    }
}

/// <summary>The retry backoff as it is stored in a job's record: <c>initialMs,maxMs,multiplier,jitter,retryOnTimeout</c>.</summary>
internal static class Backoff
{
    public static string Format(RetryPolicy p) => string.Create(CultureInfo.InvariantCulture,
        $"{(long)p.InitialDelay.TotalMilliseconds},{(long)p.MaxDelay.TotalMilliseconds},{p.Multiplier},{p.Jitter},{(p.RetryOnTimeout ? 1 : 0)}");

    public static RetryPolicy Parse(string? text, int maxAttempts)
    {
        var policy = RetryPolicy.Attempts(Math.Max(1, maxAttempts));
        if (string.IsNullOrEmpty(text))
        {
            return policy;
        }

        var parts = text.Split(',');
        try
        {
            if (parts.Length == 5)
            {
                policy = policy with
                {
                    InitialDelay = TimeSpan.FromMilliseconds(Math.Clamp(long.Parse(parts[0], CultureInfo.InvariantCulture), 0, 86_400_000)),
                    MaxDelay = TimeSpan.FromMilliseconds(Math.Clamp(long.Parse(parts[1], CultureInfo.InvariantCulture), 0, 86_400_000)),
                    Multiplier = Math.Clamp(double.Parse(parts[2], CultureInfo.InvariantCulture), 1, 100),
                    Jitter = Math.Clamp(double.Parse(parts[3], CultureInfo.InvariantCulture), 0, 1),
                    RetryOnTimeout = parts[4] == "1",
                };
            }
        }
        catch (FormatException)
        {
            // A foreign producer's malformed backoff: keep the defaults.
        }
        catch (OverflowException)
        {
        }

        return double.IsNaN(policy.Multiplier) || double.IsNaN(policy.Jitter) ? RetryPolicy.Attempts(policy.MaxAttempts) : policy;
    }
}
