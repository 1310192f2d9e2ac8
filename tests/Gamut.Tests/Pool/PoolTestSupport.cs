using System.Collections.Concurrent;
using Gamut.Jobs;
using Gamut.Pool;
using Microsoft.Extensions.Logging;

namespace Gamut.Tests.Pool;

/// <summary>A logger that keeps every message, for tests that check what the pool said (and in which order).</summary>
internal sealed class RecordingLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, formatter(state, exception)));

    public IReadOnlyList<string> Messages => [.. Entries.Select(e => e.Message)];
}

internal static class PoolTest
{
    public static readonly JobRef<int, int> Square = JobRef.To<SquareJob, int, int>();
    public static readonly JobRef<int, int> Pid = JobRef.To<PidJob, int, int>();
    public static readonly JobRef<int, int> Sleep = JobRef.To<SleepJob, int, int>();
    public static readonly JobRef<string, int> Crash = JobRef.To<CrashJob, string, int>();
    public static readonly JobRef<int, int> Runaway = JobRef.To<RunawayJob, int, int>();
    public static readonly JobRef<string, int> Throws = JobRef.To<ThrowsJob, string, int>();
    public static readonly JobRef<int, int> Flaky = JobRef.To<FlakyJob, int, int>();

    /// <summary>A generous hang guard: a pool test that takes this long is stuck.</summary>
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    public static JobRegistry Registry() => new JobRegistry().AddAssembly(typeof(SquareJob).Assembly);

    public static ProcessPool Create(int workers = 2, Func<ProcessPoolOptions, ProcessPoolOptions>? configure = null, ILogger? logger = null)
    {
        var options = new ProcessPoolOptions { Registry = Registry(), Workers = workers, StopGracePeriod = TimeSpan.FromMilliseconds(300), Logger = logger };
        return Gamut.Executors.Executors.Processes(configure is null ? options : configure(options));
    }

    /// <summary>Whether a process exists and is not a zombie.</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..][0];
            return state is not 'Z' and not 'X';
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Guard;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Gave up waiting: {what}");
            }

            await Task.Delay(10);
        }
    }

    public static async Task<int> WaitForReadyAsync(ProcessPool pool, int count)
    {
        await WaitUntilAsync(() => pool.ReadyWorkers >= count, $"{count} workers ready");
        return pool.ReadyWorkers;
    }

    public static readonly JobRef<int, int> StartedSleep = JobRef.To<StartedSleepJob, int, int>();
    public static readonly JobRef<int, int> StartedRunaway = JobRef.To<StartedRunawayJob, int, int>();

    public static void Kill(int pid, int signal = 9) => _ = Gamut.Ipc.Native.LinuxNative.SendSignal(pid, signal);
}

/// <summary>
/// The started signal of the ledger jobs (<see cref="StartedSleepJob"/>, <see cref="StartedRunawayJob"/>): each run
/// appends "pid attempt" to a file before it does anything else, so a test waits for a job to have started in its
/// worker instead of sleeping and hoping.
/// </summary>
internal sealed class StartedSignal : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"gamut-started-{Environment.ProcessId}-{Guid.NewGuid():N}.txt");

    /// <summary>Pool options that tell the workers where the ledger is.</summary>
    public ProcessPoolOptions Configure(ProcessPoolOptions options) =>
        options with { Environment = new Dictionary<string, string?> { [PoisonInput.LedgerVariable] = Path } };

    /// <summary>Every run so far: (worker pid, attempt).</summary>
    public List<(int Pid, int Attempt)> Runs => File.Exists(Path) ? Ledger.Read(Path) : [];

    /// <summary>Waits until <paramref name="count"/> runs have started; returns them.</summary>
    public async Task<List<(int Pid, int Attempt)>> WaitAsync(int count = 1)
    {
        await PoolTest.WaitUntilAsync(() => Runs.Count >= count, $"{count} job(s) to start in a worker");
        return Runs;
    }

    public void Dispose() => File.Delete(Path);
}
