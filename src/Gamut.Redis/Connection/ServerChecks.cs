using System.Globalization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gamut.Redis.Connection;

/// <summary>
/// Start-up checks of the server (RELIABILITY.md §5.5), refused or warned about as docs/redis.md says: a version
/// with LMOVE (6.2), a memory policy that never evicts jobs, the append-only file when durability is asked for and
/// its fsync policy, a server open to anyone, replicas for WAIT mode, and the permissions Gamut needs (scripts, keys
/// under its prefix, PUB/SUB channels) — each missing one named in a typed error.
/// </summary>
internal static class ServerChecks
{
    /// <summary>What the checks concluded: a refusal (fail closed), warnings, and notes (information only).</summary>
    internal sealed record Verdict(RedisStartupException? Refusal, IReadOnlyList<string> Warnings, IReadOnlyList<string> Notes);

    public static async Task RunAsync(RedisConnection connection, CancellationToken cancellationToken)
    {
        var log = connection.Logger;
        var server = connection.Multiplexer.GetServers().FirstOrDefault(s => s.IsConnected && !s.IsReplica) ?? connection.Multiplexer.GetServers()[0];
        Dictionary<string, string>? info = null;
        try
        {
            info = Parse(await server.InfoRawAsync().WaitAsync(cancellationToken).ConfigureAwait(false) ?? "");
        }
        catch (RedisCommandException e)
        {
            log.LogWarning("Gamut could not check the Redis configuration (the connection was not opened with allowAdmin, which INFO needs in StackExchange.Redis): {Error}", e.Message);
        }
        catch (RedisServerException e) when (e.Message.Contains("NOPERM", StringComparison.Ordinal))
        {
            log.LogWarning("Gamut could not check the Redis configuration (INFO is not permitted for this user): {Error}", e.Message);
        }

        Dictionary<string, string>? config = null;
        try
        {
            config = (await server.ConfigGetAsync("*").WaitAsync(cancellationToken).ConfigureAwait(false))
                .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        }
        catch (Exception e) when (e is RedisException)
        {
            // CONFIG is often not permitted (managed Redis, ACL users): the checks that need it are skipped.
        }

        var verdict = Evaluate(info, config, connection.Options);
        foreach (var note in verdict.Notes)
        {
            log.LogInformation("{Message}", note);
        }

        foreach (var warning in verdict.Warnings)
        {
            log.LogWarning("{Message}", warning);
        }

        if (verdict.Refusal is not null)
        {
            throw verdict.Refusal;
        }

        await ProbePermissionsAsync(connection, cancellationToken).ConfigureAwait(false);
        await CheckLayoutAsync(connection, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The layout version of the keys, data and scripts this Gamut reads and writes (docs/redis-protocol.md).</summary>
    internal const string LayoutVersion = "1";

    /// <summary>
    /// Stores the layout version under <c>P:layout</c> when no one has, then refuses to start if the stored one is
    /// another: a client or worker that would misread the keys must not touch them (clients in other languages do
    /// the same check).
    /// </summary>
    private static async Task CheckLayoutAsync(RedisConnection connection, CancellationToken cancellationToken)
    {
        var key = connection.Global.Layout;
        RedisValue stored;
        try
        {
            await connection.Database.StringSetAsync(key, LayoutVersion, when: When.NotExists).WaitAsync(cancellationToken).ConfigureAwait(false);
            stored = await connection.Database.StringGetAsync(key).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("OOM", StringComparison.Ordinal) || RedisRefusals.IsTransient(e))
        {
            // A full Redis, or one refusing writes for a moment: read what is there (a missing key is version 1).
            try
            {
                stored = await connection.Database.StringGetAsync(key).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (RedisServerException)
            {
                return;
            }
        }

        if (!stored.IsNull && stored != LayoutVersion)
        {
            throw new RedisStartupException(RedisStartupProblem.Layout,
                $"The Gamut keys under '{connection.Options.KeyPrefix}:' are in layout version '{Clip(stored.ToString())}' ({key}), and this Gamut speaks version {LayoutVersion}: it would misread them. Use a Gamut that speaks that version, or another key prefix");
        }
    }

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "…";

    /// <summary>
    /// The decisions, from the server's INFO fields and CONFIG values (either may be unknown: null), and what the
    /// application asked for.
    /// </summary>
    internal static Verdict Evaluate(IReadOnlyDictionary<string, string>? info, IReadOnlyDictionary<string, string>? config, RedisOptions options)
    {
        var warnings = new List<string>();
        var notes = new List<string>();
        RedisStartupException? Refuse(RedisStartupProblem problem, string message) => new(problem, message);
        string? Info(string name) => info is not null && info.TryGetValue(name, out var v) ? v : null;
        string? Config(string name) => config is not null && config.TryGetValue(name, out var v) ? v : null;

        if (Info("redis_version") is { } versionText && Version.TryParse(versionText, out var version) && version < new Version(6, 2))
        {
            return new Verdict(Refuse(RedisStartupProblem.Version, $"Redis {versionText} is too old: Gamut needs 6.2 or later (LMOVE)"), warnings, notes);
        }

        var policy = Info("maxmemory_policy") ?? Config("maxmemory-policy");
        if (policy is not null && policy != "noeviction")
        {
            var message = $"Redis evicts keys under memory pressure (maxmemory-policy {policy}): queued jobs and results could silently vanish. Set maxmemory-policy noeviction";
            if (!options.AllowEvictingPolicy)
            {
                return new Verdict(Refuse(RedisStartupProblem.EvictionPolicy, message + " (or allow it explicitly with AllowEvictingPolicy)"), warnings, notes);
            }

            warnings.Add(message);
        }

        var aofText = Info("aof_enabled") ?? (Config("appendonly") is { } a ? (a == "yes" ? "1" : "0") : null);
        if (aofText == "0")
        {
            if (options.RequireDurability)
            {
                return new Verdict(Refuse(RedisStartupProblem.Persistence, "Durability was asked for, but Redis has no append-only file (appendonly no): queued jobs would not survive a Redis restart"), warnings, notes);
            }

            notes.Add("Redis runs without an append-only file: queued jobs do not survive a Redis restart");
        }
        else if (aofText == "1" && Config("appendfsync") == "no")
        {
            warnings.Add("Redis has appendfsync no: the operating system decides when the AOF reaches the disk (about every 30 s); a crash of the machine can lose that much");
        }

        if (Config("protected-mode") == "no" && Config("requirepass") is { Length: 0 } && options.Configuration.User is null && options.Configuration.Password is null)
        {
            warnings.Add("Redis runs with protected-mode off and no password: anyone who can reach it can read and push jobs");
        }

        if (options.ReplicaAcks > 0)
        {
            if (Config("min-replicas-to-write") == "0")
            {
                warnings.Add($"Enqueues wait for {options.ReplicaAcks} replica(s) (WAIT), but the primary accepts writes with no replica attached (min-replicas-to-write 0): workers' writes are not waited for, and a primary cut off from its replicas keeps taking them until it is failed over and they are lost. Set min-replicas-to-write to at least 1");
            }

            if (Info("connected_slaves") is { } attachedText && int.TryParse(attachedText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var attached) && attached < options.ReplicaAcks)
            {
                warnings.Add($"Enqueues wait for {options.ReplicaAcks} replica(s) (WAIT), but {attached} are attached: enqueues fail (RedisUnavailableException) until enough replicas are");
            }
        }

        return new Verdict(null, warnings, notes);
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
        catch (RedisServerException e) when (RedisRefusals.IsTransient(e))
        {
            // A fail-over in progress, or a primary short of replicas: start, and let calls retry until it is over.
            connection.Logger.LogWarning("Redis refuses writes right now ({Error}); Gamut starts and its calls retry until writes are taken again", e.Message);
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
