using System.Collections.Concurrent;
using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Pool;
using Gamut.Pool.Engine;
using Gamut.Pool.Launch;
using Gamut.Pool.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gamut.Tests.Pool;

/// <summary>
/// The worker side of the pool on its own, with real worker processes and no work queue: the supervisor (start, ready,
/// replace, restart limit, stop), the stopper, the watch's clock and a worker's session. What it tells the rest of the
/// pool is recorded by <see cref="RecordingEvents"/>.
/// </summary>
public sealed class SupervisorPartsTests
{
    private static int s_number = 900;

    [Fact]
    public async Task The_supervisor_starts_its_workers_replaces_one_that_dies_and_stops_them_all()
    {
        var events = new RecordingEvents();
        var (supervisor, gate) = Start(Options(workers: 2), events);
        await using (supervisor)
        {
            await PoolTest.WaitUntilAsync(() => supervisor.ReadyCount == 2, "two workers ready");
            Assert.True(events.RoomForWorkCount > 0);
            var victim = Worker(gate, supervisor.Pids[0]);
            var victimPid = victim.Pid;
            PoolTest.Kill(victimPid);

            await PoolTest.WaitUntilAsync(() => events.Ends.Any(e => e.Worker == victim), "the killed worker's end");
            var end = events.Ends.Single(e => e.Worker == victim);
            Assert.Equal((9, StopReason.None), (end.Exit.Signal, end.Reason));
            Assert.Empty(end.Orphans);
            Assert.Null(end.CrashLoop);

            await PoolTest.WaitUntilAsync(() => supervisor.ReadyCount == 2 && !supervisor.Pids.Contains(victimPid), "a replacement ready");
            var pids = supervisor.Pids;
            await supervisor.StopAllAsync();

            Assert.Empty(supervisor.Pids);
            Assert.All(pids, pid => Assert.False(PoolTest.IsRunning(pid)));
            Assert.Equal(3, events.Ends.Count);
            Assert.All(events.Ends.Where(e => e.Worker != victim), e => Assert.Equal(StopReason.Shutdown, e.Reason));
        }
    }

    [Fact]
    public async Task Workers_that_keep_failing_at_start_trip_the_restart_limit_and_the_gate_carries_the_error()
    {
        var events = new RecordingEvents();
        var options = Options(workers: 1) with
        {
            Initializer = WorkerInitializer.For(JobRef.To<PoisonInitializerJob, string, int>(), "no database"),
            RestartIntensity = 1,
        };
        var (supervisor, gate) = Start(options, events);
        await using (supervisor)
        {
            await PoolTest.WaitUntilAsync(() => events.Ends.Any(e => e.CrashLoop is not null), "the restart limit to trip");
            var tripped = events.Ends.First(e => e.CrashLoop is not null);
            Assert.Contains("no database", tripped.CrashLoop!.Message, StringComparison.Ordinal);
            Assert.True(events.Ends.Count >= 2);
            Assert.All(events.Ends, e => Assert.Empty(e.Orphans));
            lock (gate.Lock)
            {
                Assert.Same(tripped.CrashLoop, gate.CrashLoop);
            }

            Assert.Equal(0, supervisor.ReadyCount);
        }
    }

    [Fact]
    public async Task The_watch_reports_a_job_past_its_timeout_before_its_worker_is_signalled_and_the_worker_ends_for_it()
    {
        var events = new RecordingEvents();
        var options = Options(workers: 1);
        var (supervisor, gate) = Start(options, events);
        await using (supervisor)
        {
            var table = new JobTable();
            var ledger = new WorkLedger(gate);
            var dispatcher = new PoolDispatcher(gate, ledger, table, null, _ => { });
            events.OnRoomForWork = dispatcher.Dispatch;
            (bool Exited, WorkerState State, bool SlotSaysThisJob)? seen = null;
            events.OnTimedOut = (job, w, slot) => seen = (w.Process!.Exited.IsCompleted, w.State, slot.Seq == job.Seq);

            var index = table.IndexOf(options.Registry!.Get(PoolTest.Runaway.Name));
            var runaway = new SingleJob(index, PoolTest.Runaway.Name, "runaway", 1, new JobOptions { Timeout = TimeSpan.FromMilliseconds(300) }, BitConverter.GetBytes(1), raw: true, new NoSink());
            dispatcher.Accept(runaway, CancellationToken.None);

            await PoolTest.WaitUntilAsync(() => events.Ends.Any(e => e.Orphans.Contains(runaway)), "the runaway's worker to end");
            Assert.Equal((false, WorkerState.Stopping, true), seen);
            Assert.Equal(StopReason.Timeout, events.Ends.Single(e => e.Orphans.Contains(runaway)).Reason);
        }
    }

    private static ProcessPoolOptions Options(int workers) =>
        new() { Registry = PoolTest.Registry(), Workers = workers, StopGracePeriod = TimeSpan.FromMilliseconds(300) };

    private static (WorkerSupervisor Supervisor, PoolGate Gate) Start(ProcessPoolOptions options, RecordingEvents events)
    {
        var gate = new PoolGate();
        (JobDefinition, byte[])? initializer = options.Initializer is { } init
            ? (JobDefinition.From(options.Registry!.Get(init.JobName)), init.SerializeInput(options.Serializer))
            : null;
        var session = new WorkerSession(options, "", initializer, events, NullLogger.Instance);
        var number = Interlocked.Increment(ref s_number);
        var supervisor = new WorkerSupervisor(gate, options, new ProcessesWorkerLauncher(), $"test-{Environment.ProcessId}-{number}-", number, session, events, NullLogger.Instance);
        supervisor.EnsureWorkers();
        return (supervisor, gate);
    }

    private static WorkerHandle Worker(PoolGate gate, int pid)
    {
        lock (gate.Lock)
        {
            return gate.Workers.Single(w => w.Pid == pid);
        }
    }

    private sealed class RecordingEvents : IWorkerEvents
    {
        private int _room;

        public ConcurrentQueue<(WorkerHandle Worker, WorkerExit Exit, StopReason Reason, List<PoolJob> Orphans, WorkerCrashLoopException? CrashLoop)> Ends { get; } = new();

        public int RoomForWorkCount => Volatile.Read(ref _room);

        public Action? OnRoomForWork { get; set; }

        public Action<PoolJob, WorkerHandle, SlotSnapshot>? OnTimedOut { get; set; }

        public void RoomForWork()
        {
            Interlocked.Increment(ref _room);
            OnRoomForWork?.Invoke();
        }

        public void Results(WorkerHandle w, ReadOnlySpan<byte> body)
        {
        }

        public void TimedOut(PoolJob job, WorkerHandle w, SlotSnapshot slot) => OnTimedOut?.Invoke(job, w, slot);

        public void Ended(WorkerHandle w, WorkerExit exit, SlotSnapshot slot, List<PoolJob> orphans, WorkerCrashLoopException? crashLoop) =>
            Ends.Enqueue((w, exit, w.StopReason, orphans, crashLoop));
    }

    private sealed class NoSink : IResultSink
    {
        public void SetResult(ReadOnlySpan<byte> payload, bool raw)
        {
        }

        public void SetError(Exception error)
        {
        }
    }
}
