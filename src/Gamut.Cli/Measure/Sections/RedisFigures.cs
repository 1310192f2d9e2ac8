using Gamut.Jobs;
using Gamut.Redis;
using StackExchange.Redis;

namespace Gamut.Cli.Measure.Sections;

/// <summary>
/// The Redis figures (with --redis URL): moving data through Redis (LPUSH then RPOP of one message), and the Redis
/// executor's per-job overhead with a worker in this process (Threads isolation). Everything lives under a key
/// prefix of its own, deleted at the end; connections go through Gamut's own start-up checks, so a Redis that does
/// not answer or refuses the credentials is one line and exit 254, as in every Redis command.
/// </summary>
internal static class RedisFigures
{
    /// <summary>Refuses a URL that does not parse, as a usage error.</summary>
    public static void CheckUrl(string url)
    {
        RedisOptions options;
        try
        {
            options = RedisOptions.FromUrl(url);
        }
        catch (RedisUrlException e)
        {
            throw new MeasureUsageException($"--redis: {e.Message}");
        }

        if (options.Instances.Count > 1)
        {
            throw new MeasureUsageException("--redis: give one Redis URL (measure times one instance, not a ring)");
        }
    }

    /// <summary>Connects once before anything is measured: a Redis that is down fails the run at once, not after a minute of figures.</summary>
    public static async Task CheckReachableAsync(string url, CancellationToken cancellationToken)
    {
        await using (await Gamut.Redis.Connection.RedisConnection.ConnectAsync(Options(url), cancellationToken).ConfigureAwait(false))
        {
        }

        await DeleteKeysAsync(Options(url), cancellationToken).ConfigureAwait(false);
    }

    // One prefix for the whole run, its own: everything under it is deleted after each use.
    private static readonly string Prefix = $"gamut-measure-{Environment.ProcessId}-{Random.Shared.Next():x}";

    private static RedisOptions Options(string url) =>
        RedisOptions.FromUrl(url).WithKeyPrefix(Prefix).WithResultTtl(TimeSpan.FromMinutes(1));

    public static async Task DataAsync(MeasureContext ctx, string url, byte[] source, CancellationToken cancellationToken)
    {
        var options = Options(url);
        await using var connection = await Gamut.Redis.Connection.RedisConnection.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
        var db = connection.Database;
        RedisKey key = $"{options.KeyPrefix}:data";
        try
        {
            foreach (var size in ctx.Budget.IpcSizes.Where(s => s <= options.MaxPayloadBytes * 4L))
            {
                var payload = source.AsMemory(0, (int)size);
                var samples = IpcSection.SamplesFor(ctx.Budget, size);
                long moved = 0;
                var timed = await Sampler.TimeAsync(Math.Max(1, samples / 10), samples, async () =>
                {
                    await db.ListLeftPushAsync(key, payload).ConfigureAwait(false);
                    var back = await db.ListRightPopAsync(key).ConfigureAwait(false);
                    if (back.IsNull || ((ReadOnlyMemory<byte>)back).Length != size)
                    {
                        throw new InvalidOperationException($"Redis gave back {(back.IsNull ? "nothing" : $"{((ReadOnlyMemory<byte>)back).Length} bytes")} for {size}");
                    }

                    moved += size;
                }, ctx.Cap, cancellationToken).ConfigureAwait(false);
                ctx.Add(Figure.From("ipc", "redis", $"redis {Units.Size(size)}", timed, moved, "bytes",
                    "LPUSH of each message then RPOP of it (two round trips; the bytes that came back are counted)") with { Bytes = size });
            }
        }
        finally
        {
            await db.KeyDeleteAsync(key).ConfigureAwait(false);
            await DeleteKeysAsync(options, cancellationToken).ConfigureAwait(false);
        }
    }

    public static async Task ExecutorAsync(MeasureContext ctx, string url, JobRegistry registry, CancellationToken cancellationToken)
    {
        var options = Options(url);
        const string queue = "measure";
        await using var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions
        {
            Queues = [queue],
            Registry = registry,
            Concurrency = Environment.ProcessorCount,
            Isolation = WorkerIsolation.Threads,
            ShutdownTimeout = TimeSpan.FromSeconds(5),
        }, cancellationToken).ConfigureAwait(false);
        try
        {
            await using var client = await RedisExecutor.ConnectAsync(options, new RedisExecutorOptions { Queue = queue, Registry = registry }, cancellationToken).ConfigureAwait(false);
            await ExecutorsSection.MeasureAsync(ctx, "Redis", client, 500, "through Redis to a worker in this process (Threads isolation)", cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await worker.StopAsync(cancellationToken).ConfigureAwait(false);
            await DeleteKeysAsync(options, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task DeleteKeysAsync(RedisOptions options, CancellationToken cancellationToken)
    {
        // The prefix is this run's own, so everything under it is ours to delete.
        await using var connection = await Gamut.Redis.Connection.RedisConnection.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
        foreach (var endpoint in connection.Multiplexer.GetEndPoints())
        {
            var server = connection.Multiplexer.GetServer(endpoint);
            if (server.IsReplica)
            {
                continue;
            }

            await foreach (var key in server.KeysAsync(pattern: $"*{options.KeyPrefix}*").ConfigureAwait(false))
            {
                await connection.Database.KeyDeleteAsync(key).ConfigureAwait(false);
            }
        }
    }
}
