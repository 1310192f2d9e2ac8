using System.Runtime.CompilerServices;
using StackExchange.Redis;

namespace Gamut.Redis.Connection;

/// <summary>Finds keys by pattern with SCAN on every primary (a Redis Cluster spreads keys over its primaries).</summary>
internal static class KeyScan
{
    /// <summary>The keys matching <paramref name="pattern"/>, scanning at most <paramref name="maxRounds"/> pages of 1,000 keys per primary.</summary>
    public static async IAsyncEnumerable<string> ScanAsync(RedisConnection connection, string pattern, int maxRounds, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var servers = connection.Multiplexer.GetServers().Where(s => s.IsConnected && !s.IsReplica).ToList();
        foreach (var server in servers)
        {
            var cursor = "0";
            var rounds = 0;
            do
            {
                var reply = (RedisResult[])(await server.ExecuteAsync("SCAN", cursor, "MATCH", pattern, "COUNT", 1000).WaitAsync(cancellationToken).ConfigureAwait(false))!;
                cursor = (string)reply[0]!;
                foreach (var key in (RedisResult[])reply[1]!)
                {
                    yield return (string)key!;
                }
            }
            while (cursor != "0" && ++rounds < maxRounds);
        }
    }
}
