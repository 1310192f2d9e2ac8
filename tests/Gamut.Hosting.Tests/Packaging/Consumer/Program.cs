// A fresh application that uses Gamut only through its packages (the packaging test builds and runs it).
// Argument: a Redis URL. Each line it prints is checked by the test.
using Gamut.Executors;
using Gamut.Extensions.Hosting;
using Gamut.Jobs;
using Gamut.Pool;
using Gamut.Processes;
using Gamut.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

var redisUrl = args[0];

// A command.
var echo = await Command.Create("echo", "from a package").RunAsync();
Console.WriteLine($"command: {echo.StandardOutput.Trim()}");

var registry = new JobRegistry().Add<Square, int, int>().Add<WhichProcess, int, int>();
var square = JobRef.To<Square, int, int>();

// A Threads map.
await using (var threads = Executors.Threads(maxConcurrency: 4, registry))
{
    long sum = 0;
    await foreach (var y in threads.MapAsync(square, Enumerable.Range(1, 100)).Values())
    {
        sum += y;
    }

    Console.WriteLine($"threads: {sum}");
}

// A process-pool map: the worker program comes from the Gamut package.
await using (var pool = Executors.Processes(registry, workers: 2))
{
    long sum = 0;
    await foreach (var y in pool.MapAsync(square, Enumerable.Range(1, 100)).Values())
    {
        sum += y;
    }

    var pid = await pool.SubmitAsync(JobRef.To<WhichProcess, int, int>(), 0);
    Console.WriteLine($"pool: {sum} in another process: {pid != Environment.ProcessId}");
}

// A pool whose workers build jobs through a container of their own (PoolWorkerServices): constructor injection in
// the worker process, also when the worker is this app's own executable started through the startup hook.
await using (var services = new ServiceCollection().AddGamut(gamut => gamut.AddJob<Injected, int, string>().AddProcesses<ConsumerWorkerServices>("pool")).BuildServiceProvider())
{
    var pool = services.GetRequiredKeyedService<ProcessPool>("pool");
    var text = await pool.SubmitAsync(JobRef.To<Injected, int, string>(), Environment.ProcessId);
    Console.WriteLine($"pool di: {text}");
}

// A Redis submit, served by a worker in this process.
var options = RedisOptions.FromUrl(redisUrl).WithKeyPrefix("pkg" + Guid.NewGuid().ToString("N")[..8]);
await using (var worker = await RedisWorker.StartAsync(options, new RedisWorkerOptions { Registry = registry, Concurrency = 2 }))
await using (var redis = await RedisExecutor.ConnectAsync(options))
{
    var r = await redis.SubmitAsync(square, 12);
    Console.WriteLine($"redis: {r}");
    await worker.StopAsync(CancellationToken.None);
}

[Job("pkg.square")]
public sealed class Square : IJob<int, int>
{
    public ValueTask<int> RunAsync(int input, JobContext context) => ValueTask.FromResult(input * input);
}

[Job("pkg.which-process")]
public sealed class WhichProcess : IJob<int, int>
{
    public ValueTask<int> RunAsync(int input, JobContext context) => ValueTask.FromResult(Environment.ProcessId);
}

public sealed class ConsumerWorkerServices : PoolWorkerServices
{
    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<Greeting>();
}

public sealed class Greeting
{
    public string Text => "injected";
}

[Job("pkg.injected")]
public sealed class Injected(Greeting greeting, ILogger<Injected> log) : IJob<int, string>
{
    public ValueTask<string> RunAsync(int parentPid, JobContext context)
    {
        log.LogDebug("running in {Pid}", Environment.ProcessId);
        return ValueTask.FromResult($"{greeting.Text} in another process: {Environment.ProcessId != parentPid}");
    }
}
