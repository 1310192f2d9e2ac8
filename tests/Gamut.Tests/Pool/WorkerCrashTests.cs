using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Pool;

namespace Gamut.Tests.Pool;

/// <summary>RELIABILITY PP-2: every way a worker can end yields one typed error, one replacement, and a pool that keeps serving.</summary>
public sealed class WorkerCrashTests
{
    [Theory]
    [InlineData("exit3", null, 3, "about to exit3")]
    [InlineData("stackoverflow", 6, null, "Stack overflow")]
    [InlineData("failfast", 6, null, "the crash job failed fast")]
    [InlineData("background-exception", 6, null, "thrown on a background thread")]
    [InlineData("kill9", 9, null, "about to kill9")]
    public async Task A_worker_that_dies_fails_its_job_with_how_it_ended_and_is_replaced(string cause, int? signal, int? exitCode, string stderr)
    {
        await using var pool = PoolTest.Create(workers: 1);
        var before = await pool.SubmitAsync(PoolTest.Pid, 0).WaitAsync(PoolTest.Guard);

        var error = await Assert.ThrowsAsync<WorkerCrashedException>(() => pool.SubmitAsync(PoolTest.Crash, cause).WaitAsync(PoolTest.Guard));

        Assert.Equal(signal, error.Exit.Signal);
        Assert.Equal(exitCode, error.Exit.ExitCode);
        Assert.True(error.WasRunning);
        Assert.Equal(before, error.Pid);
        Assert.Contains(error.StderrTail, line => line.Contains(stderr, StringComparison.Ordinal));
        Assert.Contains(stderr, error.Message, StringComparison.Ordinal);
        var after = await pool.SubmitAsync(PoolTest.Pid, 0).WaitAsync(PoolTest.Guard);
        Assert.NotEqual(before, after);
        Assert.Equal(49, await pool.SubmitAsync(PoolTest.Square, 7).WaitAsync(PoolTest.Guard));
        Assert.Single(pool.WorkerPids);
    }

    [Fact]
    public async Task A_worker_killed_from_outside_mid_job_fails_that_job_with_signal_9_and_the_pool_keeps_serving()
    {
        using var started = new StartedSignal();
        await using var pool = PoolTest.Create(workers: 1, started.Configure);
        var sleeping = pool.SubmitAsync(PoolTest.StartedSleep, 600_000);
        var pid = (await started.WaitAsync()).Single().Pid;
        PoolTest.Kill(pid);

        var error = await Assert.ThrowsAsync<WorkerCrashedException>(() => sleeping.WaitAsync(PoolTest.Guard));
        Assert.Equal(9, error.Exit.Signal);
        Assert.True(error.WasRunning);
        Assert.Equal(pid, error.Pid);
        Assert.Contains("SIGKILL", error.Message, StringComparison.Ordinal);
        Assert.Equal(16, await pool.SubmitAsync(PoolTest.Square, 4).WaitAsync(PoolTest.Guard));
    }

    [MemoryCgroupFact]
    public async Task A_worker_killed_by_the_kernel_for_memory_under_a_cgroup_limit_fails_its_job_with_signal_9()
    {
        const string root = MemoryCgroupFactAttribute.Hierarchy;
        var group = Path.Combine(root, $"gamut-pool-test-{Environment.ProcessId}-{Random.Shared.Next()}");
        Directory.CreateDirectory(group);
        try
        {
            await File.WriteAllTextAsync(Path.Combine(group, "memory.limit_in_bytes"), (256L * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture));
            await using var pool = PoolTest.Create(workers: 1);
            var pid = await pool.SubmitAsync(PoolTest.Pid, 0).WaitAsync(PoolTest.Guard);
            await File.WriteAllTextAsync(Path.Combine(group, "cgroup.procs"), pid.ToString(System.Globalization.CultureInfo.InvariantCulture));

            var error = await Assert.ThrowsAsync<WorkerCrashedException>(() => pool.SubmitAsync(PoolTest.Crash, "oom").WaitAsync(PoolTest.Guard));

            Assert.Equal(9, error.Exit.Signal);
            Assert.Contains("out-of-memory", error.Message, StringComparison.Ordinal);
            Assert.Equal(25, await pool.SubmitAsync(PoolTest.Square, 5).WaitAsync(PoolTest.Guard));
            Assert.DoesNotContain(pid, pool.WorkerPids);
        }
        finally
        {
            await PoolTest.WaitUntilAsync(() => File.ReadAllText(Path.Combine(group, "cgroup.procs")).Trim().Length == 0, "the cgroup to empty");
            Directory.Delete(group);
        }
    }

    [Fact]
    public async Task Jobs_queued_behind_a_crash_are_not_charged_an_attempt_and_complete_elsewhere()
    {
        await using var pool = PoolTest.Create(workers: 1);
        await PoolTest.WaitForReadyAsync(pool, 1);
        var crash = pool.SubmitAsync(PoolTest.Crash, "exit3");
        var behind = Enumerable.Range(0, 20).Select(i => pool.SubmitAsync(PoolTest.Square, i)).ToArray();

        await Assert.ThrowsAsync<WorkerCrashedException>(() => crash.WaitAsync(PoolTest.Guard));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => i * i), await Task.WhenAll(behind).WaitAsync(PoolTest.Guard));
    }
}

/// <summary>A fact that needs root and a cgroup v1 memory hierarchy; skipped, with the reason, elsewhere.</summary>
public sealed class MemoryCgroupFactAttribute : FactAttribute
{
    public const string Hierarchy = "/sys/fs/cgroup/memory";

    public MemoryCgroupFactAttribute()
    {
        if (Gamut.Ipc.Native.LinuxNative.GetEffectiveUserId() != 0)
        {
            Skip = "Needs root to create a cgroup (this run is not root)";
        }
        else if (!File.Exists(Path.Combine(Hierarchy, "cgroup.procs")))
        {
            Skip = $"Needs a cgroup v1 memory hierarchy at {Hierarchy} (not mounted here)";
        }
    }
}
