namespace Gamut.Redis.Tests.Infrastructure;

public static class TestOptions
{
    /// <summary>Options for a test: its own key prefix, fast heartbeats.</summary>
    public static RedisOptions For(RedisServer server, string? prefix = null) =>
        RedisOptions.FromUrl(server.Url)
            .WithKeyPrefix(prefix ?? "t" + Guid.NewGuid().ToString("N")[..10])
            .WithHeartbeat(TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(1000));

    public static Gamut.Jobs.JobRegistry Registry() => new Gamut.Jobs.JobRegistry().AddAssembly(typeof(TestOptions).Assembly);

    /// <summary>A hang guard: generous, never a speed assertion.</summary>
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);
}
