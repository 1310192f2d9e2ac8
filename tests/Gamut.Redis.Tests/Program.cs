using Gamut.Redis.Tests.Infrastructure;

namespace Gamut.Redis.Tests;

/// <summary>
/// The test assembly doubles as a worker program, so fault tests can kill real worker processes:
/// <c>dotnet Gamut.Redis.Tests.dll worker URL PREFIX QUEUES CONCURRENCY</c>. Test jobs write their executions
/// to the ledger directory in <c>GAMUT_TEST_LEDGER</c>.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is not ["worker", var url, var prefix, var queues, var concurrency, ..])
        {
            Console.Error.WriteLine("usage: Gamut.Redis.Tests worker URL PREFIX QUEUES CONCURRENCY");
            return 2;
        }

        using var stop = new CancellationTokenSource();
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });
        // GAMUT_TEST_HEARTBEAT=intervalMs,ttlMs (default 200,1000: fast reaping for the tests); the others as named.
        var beat = (Environment.GetEnvironmentVariable("GAMUT_TEST_HEARTBEAT") ?? "200,1000").Split(',').Select(int.Parse).ToArray();
        static int Env(string name, int fallback) => int.TryParse(Environment.GetEnvironmentVariable(name), out var v) ? v : fallback;
        var options = RedisOptions.FromUrl(url).WithKeyPrefix(prefix)
            .WithHeartbeat(TimeSpan.FromMilliseconds(beat[0]), TimeSpan.FromMilliseconds(beat[1]))
            with
            {
                MaxLostDeliveries = Env("GAMUT_TEST_MAX_LOST", 5),
                ResultTtl = TimeSpan.FromMilliseconds(Env("GAMUT_TEST_RESULT_TTL_MS", 3_600_000)),
                FailedTtl = TimeSpan.FromMilliseconds(Env("GAMUT_TEST_FAILED_TTL_MS", 3_600_000)),
                DeadLetterMax = Env("GAMUT_TEST_DEAD_MAX", 10_000),
            };
        // GAMUT_TEST_LOG=1: the worker's log on standard error, one line each (tests wait for what it says).
        if (Environment.GetEnvironmentVariable("GAMUT_TEST_LOG") == "1")
        {
            options = options.WithLogger(new StderrLogger());
        }

        // GAMUT_TEST_RING=timeoutMs,healthMs,checkMs: a ring's instance timeout and check intervals (ring tests).
        if (Environment.GetEnvironmentVariable("GAMUT_TEST_RING") is { Length: > 0 } ring && ring.Split(',').Select(int.Parse).ToArray() is [var timeout, var health, var check])
        {
            options = options.WithRing(new RingOptions
            {
                InstanceTimeout = TimeSpan.FromMilliseconds(timeout),
                HealthInterval = TimeSpan.FromMilliseconds(health),
                CheckInterval = TimeSpan.FromMilliseconds(check),
            });
        }

        var workerOptions = new RedisWorkerOptions
        {
            Queues = queues.Split(','),
            Concurrency = int.Parse(concurrency, System.Globalization.CultureInfo.InvariantCulture),
            Registry = TestOptions.Registry(),
            ShutdownTimeout = TimeSpan.FromSeconds(5),
        };
        await using var worker = await RedisWorker.StartAsync(options, workerOptions, stop.Token);
        Console.Out.WriteLine($"ready {worker.Id}");
        Console.Out.Flush();
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await worker.StopAsync();
        return 0;
    }
}

/// <summary>The test worker's log, one line per entry on standard error: <c>log LEVEL message</c>.</summary>
internal sealed class StderrLogger : Microsoft.Extensions.Logging.ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        Console.Error.WriteLine($"log {logLevel} {formatter(state, exception).ReplaceLineEndings(" ")}");
        Console.Error.Flush();
    }
}
