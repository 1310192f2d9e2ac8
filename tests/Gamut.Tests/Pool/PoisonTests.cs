using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Pool;

namespace Gamut.Tests.Pool;

/// <summary>
/// The pool's promise under poison: 2,000 quick items over 2 workers, 20 of which crash their worker (FailFast, SIGKILL
/// of itself, stack overflow). Only the poison items fail (with <see cref="WorkerCrashedException.WasRunning"/> set),
/// every other item gives its result, none is missing, and none runs twice: the jobs write an execution ledger.
/// </summary>
public sealed class PoisonTests
{
    private const int Items = 2000;
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(4);

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task A_poison_map_fails_the_poison_items_alone_and_runs_every_other_item_once(bool retry, bool textResults)
    {
        using var ledger = new LedgerFile();
        var attempts = retry ? 2 : 1;
        await using var pool = Create(ledger);
        var options = new MapOptions { Job = new JobOptions { Retry = RetryPolicy.Attempts(attempts) } };
        var inputs = Inputs();
        var outcomes = new List<(long Index, int Input, bool Ok, string? Value, Exception? Error)>();
        var cts = new CancellationTokenSource(Guard);
        if (textResults)
        {
            await foreach (var o in pool.MapAsync(JobRef.To<PoisonTextJob, int, string>(), inputs, options, cts.Token))
            {
                outcomes.Add((o.Index, o.Input, o.IsSuccess, o.IsSuccess ? o.Value : null, o.Error));
            }
        }
        else
        {
            await foreach (var o in pool.MapAsync(JobRef.To<PoisonJob, int, int>(), inputs, options, cts.Token))
            {
                outcomes.Add((o.Index, o.Input, o.IsSuccess, o.IsSuccess ? (o.Value - 1).ToString(System.Globalization.CultureInfo.InvariantCulture) : null, o.Error));
            }
        }

        Assert.Equal(Enumerable.Range(0, Items).Select(i => (long)i), outcomes.Select(o => o.Index));
        Check(ledger, attempts, outcomes.Select(o => (o.Input, o.Ok, o.Value, o.Error)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Poison_submits_fail_alone_and_every_other_job_runs_once(bool retry)
    {
        using var ledger = new LedgerFile();
        var attempts = retry ? 2 : 1;
        await using var pool = Create(ledger);
        var options = new JobOptions { Retry = RetryPolicy.Attempts(attempts) };
        var job = JobRef.To<PoisonJob, int, int>();
        var inputs = Inputs();
        var tasks = inputs.Select(i => pool.SubmitAsync(job, i, options)).ToArray();
        try
        {
            await Task.WhenAll(tasks).WaitAsync(Guard);
        }
        catch (WorkerCrashedException)
        {
        }

        Check(ledger, attempts, inputs.Zip(tasks, (input, t) => (
            input,
            t.IsCompletedSuccessfully,
            t.IsCompletedSuccessfully ? (t.Result - 1).ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
            (Exception?)t.Exception?.InnerException)));
    }

    /// <summary>2,000 items; 20 of them (spread over the run) poison: 9 FailFast, 9 SIGKILL, 2 stack overflows.</summary>
    private static int[] Inputs()
    {
        var inputs = Enumerable.Range(0, Items).ToArray();
        for (var k = 0; k < 20; k++)
        {
            var item = 50 + (k * 97);
            var kind = k % 10 == 9 ? PoisonKind.StackOverflow : k % 2 == 0 ? PoisonKind.FailFast : PoisonKind.KillSelf;
            inputs[item] = PoisonInput.Encode(item, kind);
        }

        return inputs;
    }

    private static ProcessPool Create(LedgerFile ledger) => PoolTest.Create(workers: 2, o => o with
    {
        Environment = new Dictionary<string, string?> { [PoisonInput.LedgerVariable] = ledger.Path },
        // Workers killed while running are always replaced; this only keeps stack overflows (slow to die) from
        // counting as a crash loop if one ever happens before ready.
        RestartIntensity = 100,
    });

    private static void Check(LedgerFile ledger, int attempts, IEnumerable<(int Input, bool Ok, string? Value, Exception? Error)> outcomes)
    {
        var runs = Ledger.Read(ledger.Path).GroupBy(r => r.Item).ToDictionary(g => g.Key, g => g.Select(r => r.Attempt).Order().ToList());
        var innocentFailures = new List<string>();
        var seen = 0;
        foreach (var (input, ok, value, error) in outcomes)
        {
            seen++;
            var item = PoisonInput.Item(input);
            var ran = runs.GetValueOrDefault(item) ?? [];
            if (PoisonInput.Kind(input) == PoisonKind.None)
            {
                if (!ok)
                {
                    innocentFailures.Add($"item {item}: {error?.GetType().Name} {(error as WorkerCrashedException)?.WasRunning} {error?.Message.Split('\n')[0]}");
                    continue;
                }

                Assert.Equal(item.ToString(System.Globalization.CultureInfo.InvariantCulture), value);
                Assert.True(ran.SequenceEqual([1]), $"innocent item {item} ran on attempts [{string.Join(", ", ran)}], not once");
                continue;
            }

            Assert.False(ok, $"poison item {item} succeeded");
            var crash = Assert.IsType<WorkerCrashedException>(error);
            Assert.True(crash.WasRunning, $"poison item {item}: {crash.Message}");
            Assert.Equal(attempts, crash.Attempts);
            Assert.Equal(Enumerable.Range(1, attempts), ran);
        }

        Assert.Equal(Items, seen);
        Assert.True(innocentFailures.Count == 0, $"{innocentFailures.Count} innocent items failed: {string.Join("; ", innocentFailures.Take(10))}");
        Assert.Equal(Items, runs.Count);
    }

    private sealed class LedgerFile : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"gamut-ledger-{Environment.ProcessId}-{Guid.NewGuid():N}.txt");

        public void Dispose() => File.Delete(Path);
    }
}
