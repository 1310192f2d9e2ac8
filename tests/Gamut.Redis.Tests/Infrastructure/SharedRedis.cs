namespace Gamut.Redis.Tests.Infrastructure;

/// <summary>One redis-server (or one Redis Cluster) shared by the tests that need nothing special; each test uses its own key prefix.</summary>
public sealed class SharedRedis : IAsyncLifetime
{
    public RedisServer Server { get; private set; } = null!;

    /// <summary>A plain server, or a 6-node Redis Cluster when GAMUT_TEST_CLUSTER=1 (the same tests, against Cluster).</summary>
    public async Task InitializeAsync() => Server = RedisServer.ClusterMode ? await RedisServer.StartClusterAsync() : await RedisServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class SharedRedisCollection : ICollectionFixture<SharedRedis>
{
    public const string Name = "shared redis";
}
