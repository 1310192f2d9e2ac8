using Gamut.Jobs;
using Microsoft.Extensions.Logging;

namespace Gamut.Hosting.Tests.Hosting;

/// <summary>A scoped service that records its creation and disposal, as a DbContext would be one per run.</summary>
public sealed class RunScope : IDisposable
{
    private static int s_next;

    public int Number { get; } = Interlocked.Increment(ref s_next);

    public bool Disposed { get; private set; }

    public void Dispose() => Disposed = true;
}

/// <summary>A singleton that keeps every <see cref="RunScope"/> the runs got.</summary>
public sealed class ScopeLog
{
    private readonly List<RunScope> _scopes = [];

    public IReadOnlyList<RunScope> Scopes
    {
        get
        {
            lock (_scopes)
            {
                return [.. _scopes];
            }
        }
    }

    public void Add(RunScope scope)
    {
        lock (_scopes)
        {
            _scopes.Add(scope);
        }
    }
}

/// <summary>A job built by the container: a scoped service, a singleton and a logger by constructor injection.</summary>
[Job("hosting.greet")]
public sealed class Greet(RunScope scope, ScopeLog log, ILogger<Greet> logger) : IJob<string, string>
{
    public ValueTask<string> RunAsync(string name, JobContext context)
    {
        log.Add(scope);
        logger.LogInformation("Greeting {Name}", name);
        return ValueTask.FromResult($"hello {name} from scope {scope.Number}");
    }
}
