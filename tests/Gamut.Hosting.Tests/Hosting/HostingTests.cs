using Gamut.Executors;
using Gamut.Extensions.Hosting;
using Gamut.Jobs;
using Gamut.Jobs.Commands;
using Gamut.Pool;
using Gamut.Redis;
using Gamut.Redis.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Gamut.Hosting.Tests.Hosting;

/// <summary>services.AddGamut(...) in a real generic host.</summary>
public sealed class HostingTests
{
    private static readonly JobRef<string, string> GreetJob = JobRef.To<Greet, string, string>();

    private static HostApplicationBuilder Builder(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddLogging();
        builder.Services.AddScoped<RunScope>();
        builder.Services.AddSingleton<ScopeLog>();
        return builder;
    }

    [Fact]
    public async Task Jobs_are_built_by_the_container_in_a_scope_per_run_and_executors_are_services_disposed_with_the_host()
    {
        var builder = Builder(new() { ["Gamut:Executors:threads:MaxConcurrency"] = "2" });
        builder.Services.AddGamut(gamut => gamut.AddJob<Greet, string, string>().AddThreads());
        IExecutor threads;
        using (var host = builder.Build())
        {
            await host.StartAsync();
            threads = host.Services.GetRequiredKeyedService<IExecutor>("threads");
            Assert.Same(threads, host.Services.GetRequiredService<IExecutor>());
            Assert.IsType<ThreadsExecutor>(threads);
            var results = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => threads.SubmitAsync(GreetJob, $"n{i}")));

            var scopes = host.Services.GetRequiredService<ScopeLog>().Scopes;
            Assert.Equal(3, scopes.Select(s => s.Number).Distinct().Count());
            Assert.All(scopes, s => Assert.True(s.Disposed));
            Assert.All(results, r => Assert.StartsWith("hello n", r, StringComparison.Ordinal));
            await host.StopAsync();
        }

        await Assert.ThrowsAsync<ExecutorClosedException>(() => threads.SubmitAsync(GreetJob, "late"));
    }

    [Fact]
    public async Task Settings_are_checked_at_start_with_messages_that_name_the_setting()
    {
        var builder = Builder(new() { ["Gamut:Worker:Concurrency"] = "0" });
        builder.Services.AddGamut(gamut => gamut.AddJob<Greet, string, string>().AddRedisWorker());
        using var host = builder.Build();
        // Every bad setting at once, each its own OptionsValidationException.
        var e = await Assert.ThrowsAsync<AggregateException>(() => host.StartAsync());
        var messages = e.InnerExceptions.Select(i => Assert.IsType<OptionsValidationException>(i).Message).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(2, messages.Length);
        Assert.StartsWith("Gamut:Redis:Url is not set: give Redis' URL in configuration", messages[0], StringComparison.Ordinal);
        Assert.Equal("Gamut:Worker:Concurrency must be at least 1 (it is 0)", messages[1]);

        var bad = Builder(new() { ["Gamut:Redis:Url"] = "http://127.0.0.1:6379" });
        bad.Services.AddGamut(gamut => gamut.AddRedis());
        using var badHost = bad.Build();
        var urlError = await Assert.ThrowsAsync<OptionsValidationException>(() => badHost.StartAsync());
        Assert.StartsWith("Gamut:Redis: ", urlError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hosted_Redis_worker_runs_container_built_jobs_submitted_through_the_keyed_Redis_executor_and_reports_healthy()
    {
        await using var redis = await RedisServer.StartAsync();
        var builder = Builder(new()
        {
            ["Gamut:Redis:Url"] = redis.Url,
            ["Gamut:Redis:KeyPrefix"] = "host" + Guid.NewGuid().ToString("N")[..8],
            ["Gamut:Worker:Concurrency"] = "2",
            ["Gamut:Executors:pool:Workers"] = "1",
        });
        builder.Services.AddGamut(gamut => gamut.AddJob<Greet, string, string>().AddRedis().AddRedisWorker().AddProcesses("pool"));
        builder.Services.AddHealthChecks().AddGamutChecks();
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var client = host.Services.GetRequiredKeyedService<IExecutor>("redis");
            Assert.Same(client, host.Services.GetRequiredKeyedService<RedisExecutor>("redis"));
            Assert.Same(client, host.Services.GetRequiredService<IExecutor>());
            var first = await client.SubmitAsync(GreetJob, "redis").WaitAsync(TestOptions.Guard);
            var second = await client.SubmitAsync(GreetJob, "again").WaitAsync(TestOptions.Guard);
            Assert.StartsWith("hello redis from scope ", first, StringComparison.Ordinal);
            Assert.NotEqual(first["hello redis".Length..], second["hello again".Length..]);

            var pool = host.Services.GetRequiredKeyedService<ProcessPool>("pool");
            await pool.SubmitAsync(CommandJob.Ref, new CommandSpec { Executable = "true" }).WaitAsync(TestOptions.Guard);
            var health = host.Services.GetRequiredService<HealthCheckService>();
            HealthReport report = null!;
            await Wait.UntilAsync(async () => (report = await health.CheckHealthAsync()).Status == HealthStatus.Healthy, "every Gamut check healthy", TestOptions.Guard);
            Assert.Equal(["gamut.pool.pool", "gamut.redis.redis", "gamut.worker"], report.Entries.Keys.Order().ToArray());

            // Redis gone: the Redis check says so (the worker's heartbeat goes stale after its interval).
            redis.Kill();
            var down = await health.CheckHealthAsync(r => r.Name == "gamut.redis.redis");
            Assert.Equal(HealthStatus.Unhealthy, down.Status);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
