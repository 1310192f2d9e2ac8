using System.Globalization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gamut.Redis.Connection;

/// <summary>
/// Start-up checks of the server (RELIABILITY.md §5.5): a version with LMOVE (6.2), a memory policy that never
/// evicts jobs, the append-only file when durability is asked for, and the permissions Gamut needs (scripts,
/// keys under its prefix, PUB/SUB channels) — each missing one named in a typed error.
/// </summary>
internal static class ServerChecks
{
    public static async Task RunAsync(RedisConnection connection, CancellationToken cancellationToken)
    {
        var db = connection.Database;
        var options = connection.Options;
        var log = connection.Logger;
        string? info = null;
        try
        {
            var server = connection.Multiplexer.GetServers().FirstOrDefault(s => s.IsConnected && !s.IsReplica) ?? connection.Multiplexer.GetServers()[0];
            info = await server.InfoRawAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisCommandException e)
        {
            log.LogWarning("Gamut could not check the Redis configuration (the connection was not opened with allowAdmin, which INFO needs in StackExchange.Redis): {Error}", e.Message);
        }
        catch (RedisServerException e) when (e.Message.Contains("NOPERM", StringComparison.Ordinal))
        {
            log.LogWarning("Gamut could not check the Redis configuration (INFO is not permitted for this user): {Error}", e.Message);
        }

        if (info is not null)
        {
            var fields = Parse(info);
            if (fields.TryGetValue("redis_version", out var versionText) && Version.TryParse(versionText, out var version)
                && version < new Version(6, 2))
            {
                throw new RedisStartupException(RedisStartupProblem.Version, $"Redis {versionText} is too old: Gamut needs 6.2 or later (LMOVE)");
            }

            if (fields.TryGetValue("maxmemory_policy", out var policy) && policy != "noeviction")
            {
                var message = $"Redis evicts keys under memory pressure (maxmemory-policy {policy}): queued jobs and results could silently vanish. Set maxmemory-policy noeviction";
                if (!options.AllowEvictingPolicy)
                {
                    throw new RedisStartupException(RedisStartupProblem.EvictionPolicy, message + " (or allow it explicitly with AllowEvictingPolicy)");
                }

                log.LogWarning("{Message}", message);
            }

            var aof = fields.TryGetValue("aof_enabled", out var a) && a == "1";
            if (!aof && options.RequireDurability)
            {
                throw new RedisStartupException(RedisStartupProblem.Persistence, "Durability was asked for, but Redis has no append-only file (appendonly no): queued jobs would not survive a Redis restart");
            }

            if (!aof)
            {
                log.LogInformation("Redis runs without an append-only file: queued jobs do not survive a Redis restart");
            }
        }

        await WarnAboutConfigurationAsync(connection, cancellationToken).ConfigureAwait(false);
        await ProbePermissionsAsync(connection, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Settings that lose jobs or expose Redis, read with CONFIG GET when the user may (a warning each).</summary>
    private static async Task WarnAboutConfigurationAsync(RedisConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            var server = connection.Multiplexer.GetServers().FirstOrDefault(s => s.IsConnected && !s.IsReplica);
            if (server is null)
            {
                return;
            }

            var config = (await server.ConfigGetAsync("*").WaitAsync(cancellationToken).ConfigureAwait(false))
                .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
            if (config.TryGetValue("appendonly", out var aof) && aof == "yes" && config.TryGetValue("appendfsync", out var fsync) && fsync == "no")
            {
                connection.Logger.LogWarning("Redis has appendfsync no: the operating system decides when the AOF reaches the disk (about every 30 s); a crash of the machine can lose that much");
            }

            if (config.TryGetValue("protected-mode", out var protectedMode) && protectedMode == "no"
                && config.TryGetValue("requirepass", out var pass) && string.IsNullOrEmpty(pass) && connection.Options.Configuration.User is null)
            {
                connection.Logger.LogWarning("Redis runs with protected-mode off and no password: anyone who can reach it can read and push jobs");
            }
        }
        catch (Exception e) when (e is RedisException)
        {
            // CONFIG is often not permitted (managed Redis, ACL users): these are only warnings.
        }
    }

    private static async Task ProbePermissionsAsync(RedisConnection connection, CancellationToken cancellationToken)
    {
        var probe = connection.Queue("probe");
        var key = (RedisKey)(probe.Tag + "perm:" + Guid.NewGuid().ToString("N"));
        try
        {
            await connection.Database.ScriptEvaluateAsync(
                "redis.call('SET', KEYS[1], '1', 'PX', 5000); redis.call('DEL', KEYS[1]); return 1",
                [key]).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.Contains("NOPERM", StringComparison.Ordinal) || e.Message.Contains("No permissions", StringComparison.OrdinalIgnoreCase))
        {
            throw new RedisStartupException(RedisStartupProblem.Permission, $"The Redis user may not run Gamut's scripts on keys under '{connection.Options.KeyPrefix}:' ({e.Message}); it needs +@scripting, +@list, +@hash, +@sortedset, +@set, +@string, +@keyspace on ~{connection.Options.KeyPrefix}:*", e);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("OOM", StringComparison.Ordinal))
        {
            // A full Redis is no reason not to start: workers are what drains it.
            connection.Logger.LogWarning("Redis is at its maxmemory limit: enqueues are refused (RedisFullException) until workers drain some jobs");
        }

        try
        {
            await connection.Subscriber.PublishAsync(RedisChannel.Literal(connection.Global.Prefix + ":probe"), "1").WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.Contains("NOPERM", StringComparison.Ordinal) || e.Message.Contains("No permissions", StringComparison.OrdinalIgnoreCase))
        {
            throw new RedisStartupException(RedisStartupProblem.Permission, $"The Redis user may not publish on Gamut's channels ({e.Message}); it needs +@pubsub and &{connection.Options.KeyPrefix}:*", e);
        }
    }

    internal static Dictionary<string, string> Parse(string info)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in info.Split('\n'))
        {
            var colon = line.IndexOf(':');
            if (colon > 0 && line[0] != '#')
            {
                fields[line[..colon]] = line[(colon + 1)..].Trim();
            }
        }

        return fields;
    }
}
