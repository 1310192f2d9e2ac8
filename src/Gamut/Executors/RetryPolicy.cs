namespace Gamut.Executors;

/// <summary>
/// How a failed attempt is retried: up to <see cref="MaxAttempts"/> attempts in all, waiting an exponentially
/// growing, jittered delay between them. Immutable.
/// </summary>
public sealed record RetryPolicy
{
    /// <summary>One attempt, no retry.</summary>
    public static RetryPolicy None { get; } = new() { MaxAttempts = 1 };

    /// <summary>Up to <paramref name="maxAttempts"/> attempts with the default backoff (0.1 s doubling to 30 s, ±20% jitter).</summary>
    /// <param name="maxAttempts">Attempts in all, at least 1.</param>
    public static RetryPolicy Attempts(int maxAttempts) => new() { MaxAttempts = maxAttempts };

    /// <summary>Attempts in all, including the first.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>The delay before the first retry.</summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest delay between attempts.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How much the delay grows per attempt.</summary>
    public double Multiplier { get; init; } = 2.0;

    /// <summary>The random spread of each delay, as a fraction (0.2 = ±20%).</summary>
    public double Jitter { get; init; } = 0.2;

    /// <summary>Also retry when a job times out (not by default: a job that hung once may hang again).</summary>
    public bool RetryOnTimeout { get; init; }

    /// <summary>The delay before attempt <paramref name="nextAttempt"/> (2 for the first retry).</summary>
    /// <param name="nextAttempt">The attempt about to run.</param>
    public TimeSpan DelayBefore(int nextAttempt)
    {
        if (nextAttempt <= 1)
        {
            return TimeSpan.Zero;
        }

        var ms = InitialDelay.TotalMilliseconds * Math.Pow(Multiplier, nextAttempt - 2);
        ms = Math.Min(ms, MaxDelay.TotalMilliseconds);
        if (Jitter > 0)
        {
            ms *= 1 + ((Random.Shared.NextDouble() * 2) - 1) * Jitter;
        }

        return TimeSpan.FromMilliseconds(Math.Max(0, ms));
    }

    /// <summary>Throws <see cref="ArgumentException"/> when a value is out of range.</summary>
    public void Validate()
    {
        if (MaxAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "At least one attempt.");
        }

        if (InitialDelay < TimeSpan.Zero || MaxDelay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(InitialDelay), "Delays cannot be negative.");
        }

        if (Multiplier < 1 || double.IsNaN(Multiplier))
        {
            throw new ArgumentOutOfRangeException(nameof(Multiplier), Multiplier, "The multiplier is at least 1.");
        }

        if (Jitter is < 0 or > 1 || double.IsNaN(Jitter))
        {
            throw new ArgumentOutOfRangeException(nameof(Jitter), Jitter, "Jitter is a fraction from 0 to 1.");
        }
    }
}
