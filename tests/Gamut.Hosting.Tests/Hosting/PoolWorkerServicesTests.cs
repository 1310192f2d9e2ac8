using System.Collections.Concurrent;
using Gamut.Executors;
using Gamut.Extensions.Hosting;
using Gamut.Jobs;
using Gamut.Pool;
using Gamut.Redis;
using Gamut.Redis.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gamut.Hosting.Tests.Hosting;

/// <summary>Pool jobs built in their worker process through the worker's own container, one scope per run.</summary>
public sealed class PoolWorkerServicesTests
{
    private static readonly JobRef<string, string> Greet = JobRef.To<InjectedGreet, string, string>();

    [Fact]
    public async Task A_pool_worker_builds_jobs_with_injected_services_and_a_logger_in_a_scope_per_run_disposed_whatever_the_outcome()
    {
        var logs = new LogCapture();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Gamut:Executors:pool:Workers"] = "1" });
        builder.Services.AddLogging(l => l.AddProvider(logs));
        builder.Services.AddGamut(gamut => gamut
            .AddJob<InjectedGreet, string, string>()
            .AddJob<InjectedFails, int, int>()
            .AddProcesses<TestPoolWorkerServices>("pool"));
        using var host = builder.Build();
        await host.StartAsync();
        var pool = host.Services.GetRequiredKeyedService<ProcessPool>("pool");

        var first = (await pool.SubmitAsync(Greet, "ada").WaitAsync(TestOptions.Guard)).Split(' ');
        await Assert.ThrowsAsync<JobFailedException>(() => pool.SubmitAsync(JobRef.To<InjectedFails, int, int>(), 1).WaitAsync(TestOptions.Guard));
        var third = (await pool.SubmitAsync(Greet, "bob").WaitAsync(TestOptions.Guard)).Split(' ');

        // Another process (the worker), the same one for all runs; a new scope each run; the earlier scopes (the failed
        // run's too) disposed by the time the next run starts.
        Assert.NotEqual(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), first[0]);
        Assert.Equal(first[0], third[0]);
        Assert.Equal(["hello", "ada", "scope=1", "disposed=0", "http=yes"], first[1..]);
        Assert.Equal(["hello", "bob", "scope=3", "disposed=2", "http=yes"], third[1..]);

        // ILogger<T> in the worker: its records reach the pool's logger here, with the job's category.
        await Wait.UntilAsync(() => Task.FromResult(logs.Contains("Gamut.Hosting.Tests.Hosting.InjectedGreet: greeting bob in scope 3")), "the job's log record", TestOptions.Guard);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_Redis_worker_with_Processes_isolation_builds_its_jobs_through_the_pool_workers_services()
    {
        await using var redis = await RedisServer.StartAsync();
        var prefix = "di" + Guid.NewGuid().ToString("N")[..8];
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gamut:Redis:Url"] = redis.Url,
            ["Gamut:Redis:KeyPrefix"] = prefix,
            ["Gamut:Worker:Isolation"] = "Processes",
            ["Gamut:Worker:Concurrency"] = "1",
        });
        builder.Services.AddLogging();
        builder.Services.AddGamut(gamut => gamut.AddJob<InjectedGreet, string, string>().AddRedisWorker<TestPoolWorkerServices>());
        using var host = builder.Build();
        await host.StartAsync();
        await using var client = await RedisExecutor.ConnectAsync(RedisOptions.FromUrl(redis.Url).WithKeyPrefix(prefix));

        var first = (await client.SubmitAsync(Greet, "ada").WaitAsync(TestOptions.Guard)).Split(' ');
        var second = (await client.SubmitAsync(Greet, "bob").WaitAsync(TestOptions.Guard)).Split(' ');
        Assert.NotEqual(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), first[0]);
        Assert.Equal(["hello", "ada", "scope=1", "disposed=0", "http=yes"], first[1..]);
        Assert.Equal(["hello", "bob", "scope=2", "disposed=1", "http=yes"], second[1..]);
        await host.StopAsync();
    }

    [Fact]
    public void A_worker_setup_that_is_not_an_IPoolWorkerSetup_is_refused_naming_the_option()
    {
        var e = Assert.Throws<ArgumentException>(() => new ProcessPool(new ProcessPoolOptions { WorkerSetup = typeof(WorkerGreeter) }));
        Assert.Contains("ProcessPoolOptions.WorkerSetup", e.Message, StringComparison.Ordinal);
    }

    private sealed class LogCapture : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _messages = new();

        public bool Contains(string text) => _messages.Any(m => m.Contains(text, StringComparison.Ordinal));

        public ILogger CreateLogger(string categoryName) => new Logger(_messages);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<string> messages) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                messages.Enqueue(formatter(state, exception));
        }
    }
}
