using Gamut.Extensions.Hosting;
using Gamut.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gamut.Hosting.Tests.Hosting;

/// <summary>The services a pool worker builds its jobs with in these tests (in the worker process).</summary>
public sealed class TestPoolWorkerServices : PoolWorkerServices
{
    protected override void ConfigureServices(IServiceCollection services)
    {
        services.AddSingleton<WorkerGreeter>();
        services.AddScoped<WorkerRunScope>();
        services.AddHttpClient();
    }
}

/// <summary>A singleton of the worker's container.</summary>
public sealed class WorkerGreeter
{
    public string Greet(string name) => $"hello {name}";
}

/// <summary>A scoped service: numbered as made in its worker process, and counted when disposed.</summary>
public sealed class WorkerRunScope : IDisposable
{
    private static int s_made;
    private static int s_disposed;

    public int Number { get; } = Interlocked.Increment(ref s_made);

    public static int DisposedCount => Volatile.Read(ref s_disposed);

    public void Dispose() => Interlocked.Increment(ref s_disposed);
}

/// <summary>
/// A pool job with constructor-injected services and no parameterless constructor. Answers
/// <c>pid greeting scope=N disposed=D http=yes</c>: its run's scoped service number and how many such services its
/// worker had disposed before this run.
/// </summary>
[Job("di.pool.greet")]
public sealed class InjectedGreet(WorkerGreeter greeter, WorkerRunScope scope, IHttpClientFactory http, ILogger<InjectedGreet> log) : IJob<string, string>
{
    public ValueTask<string> RunAsync(string input, JobContext context)
    {
        log.LogInformation("greeting {Name} in scope {Scope}", input, scope.Number);
        using var client = http.CreateClient();
        return ValueTask.FromResult($"{Environment.ProcessId} {greeter.Greet(input)} scope={scope.Number} disposed={WorkerRunScope.DisposedCount} http={(client is null ? "no" : "yes")}");
    }
}

/// <summary>Takes a scoped service and throws: its scope is disposed all the same.</summary>
[Job("di.pool.fails")]
public sealed class InjectedFails(WorkerRunScope scope) : IJob<int, int>
{
    public ValueTask<int> RunAsync(int input, JobContext context) => throw new InvalidOperationException($"run in scope {scope.Number} fails");
}
