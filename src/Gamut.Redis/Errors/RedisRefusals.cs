using StackExchange.Redis;

namespace Gamut.Redis;

/// <summary>
/// Errors Redis replies with while it cannot take writes for a moment — during a fail-over (a primary demoted to a
/// read-only replica, no primary yet, a replica still loading), or a primary short of replicas. Each is raised before
/// the script's first write, so nothing was written; the call is retried like a broken connection.
/// </summary>
internal static class RedisRefusals
{
    private static readonly string[] Transient = ["READONLY", "LOADING", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "NOREPLICAS"];

    public static bool IsTransient(Exception e) =>
        e is RedisServerException && Transient.Any(code => e.Message.StartsWith(code, StringComparison.Ordinal));
}
