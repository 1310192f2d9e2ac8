using Gamut.Redis;
using Microsoft.Extensions.Options;

namespace Gamut.Extensions.Hosting;

/// <summary>
/// Checks the settings when the host starts, with messages that name the setting as it is written in configuration
/// (<c>Gamut:Redis:Url</c>) and say how to set it.
/// </summary>
internal sealed class GamutSettingsValidation :
    IValidateOptions<GamutRedisSettings>,
    IValidateOptions<GamutWorkerSettings>,
    IValidateOptions<GamutExecutorSettings>
{
    public ValidateOptionsResult Validate(string? name, GamutRedisSettings options)
    {
        if (string.IsNullOrWhiteSpace(options.Url))
        {
            return ValidateOptionsResult.Fail(
                "Gamut:Redis:Url is not set: give Redis' URL in configuration (appsettings.json \"Gamut\": { \"Redis\": { \"Url\": \"redis://host:6379\" } }, or the environment variable Gamut__Redis__Url)");
        }

        try
        {
            _ = Build(options);
        }
        catch (Exception e) when (e is RedisUrlException or ArgumentException)
        {
            return ValidateOptionsResult.Fail($"Gamut:Redis: {e.Message}");
        }

        if (options.ResultTtl is { } ttl && ttl <= TimeSpan.Zero)
        {
            return ValidateOptionsResult.Fail($"Gamut:Redis:ResultTtl must be positive (it is {ttl})");
        }

        return ValidateOptionsResult.Success;
    }

    public ValidateOptionsResult Validate(string? name, GamutWorkerSettings options)
    {
        List<string> failures = [];
        if (options.Concurrency is < 1)
        {
            failures.Add($"Gamut:Worker:Concurrency must be at least 1 (it is {options.Concurrency})");
        }

        if (options.ShutdownTimeout is { } t && t < TimeSpan.Zero)
        {
            failures.Add($"Gamut:Worker:ShutdownTimeout must not be negative (it is {t})");
        }

        if (options.HeartbeatMaxAge is { } age && age <= TimeSpan.Zero)
        {
            failures.Add($"Gamut:Worker:HeartbeatMaxAge must be positive (it is {age})");
        }

        if (!Enum.IsDefined(options.Isolation))
        {
            failures.Add($"Gamut:Worker:Isolation must be Threads or Processes (it is {options.Isolation})");
        }

        for (var i = 0; i < options.Queues.Count; i++)
        {
            try
            {
                new RedisWorkerOptions { Queues = [options.Queues[i]] }.Validate();
            }
            catch (ArgumentException e)
            {
                failures.Add($"Gamut:Worker:Queues:{i}: {e.Message}");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public ValidateOptionsResult Validate(string? name, GamutExecutorSettings options)
    {
        List<string> failures = [];
        if (options.MaxConcurrency is < 1)
        {
            failures.Add($"Gamut:Executors:{name}:MaxConcurrency must be at least 1 (it is {options.MaxConcurrency})");
        }

        if (options.Workers is < 1)
        {
            failures.Add($"Gamut:Executors:{name}:Workers must be at least 1 (it is {options.Workers})");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Gamut's Redis options from the settings.</summary>
    internal static RedisOptions Build(GamutRedisSettings settings)
    {
        var options = RedisOptions.FromUrl(settings.Url!);
        if (settings.KeyPrefix is { } prefix)
        {
            options = options.WithKeyPrefix(prefix);
        }

        if (settings.ResultTtl is { } ttl)
        {
            options = options.WithResultTtl(ttl);
        }

        options.Validate();
        return options;
    }
}
