using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Pool;
using Gamut.Pool.Engine;
using Gamut.Pool.Protocol;

namespace Gamut.Tests.Pool;

/// <summary>
/// The work side of the pool on its own, without processes: the dispatcher (queue, frames, in-flight lists,
/// cancellation, requeueing), the ledger (outstanding work, drain), the result intake and the settler of lost work.
/// Workers here are handles the test sets ready or not; what is sent to them is looked at in their in-flight lists.
/// </summary>
public sealed class DispatcherPartsTests : IDisposable
{
    private readonly PoolGate _gate = new();
    private readonly JobTable _table = new();
    private readonly List<WorkerHandle> _recycled = [];
    private readonly List<WorkerSlot> _slots = [];
    private readonly WorkLedger _ledger;
    private readonly PoolDispatcher _dispatcher;
    private readonly ResultIntake _intake;
    private readonly LostWorkSettler _settler;
    private readonly int _square;

    public DispatcherPartsTests()
    {
        _ledger = new WorkLedger(_gate);
        _dispatcher = new PoolDispatcher(_gate, _ledger, _table, maxJobsPerWorker: 100, _recycled.Add);
        _intake = new ResultIntake(_gate, _ledger, _dispatcher);
        _settler = new LostWorkSettler(_gate, _ledger, _dispatcher, _intake, TimeSpan.FromSeconds(1));
        _square = _table.IndexOf(PoolTest.Registry().Get("pool.square"));
    }

    public void Dispose()
    {
        foreach (var slot in _slots)
        {
            slot.Dispose();
        }
    }

    [Fact]
    public void Each_ready_worker_gets_at_most_two_frames_in_the_order_queued_and_one_not_ready_gets_none()
    {
        var a = Worker(WorkerState.Ready);
        var b = Worker(WorkerState.Ready);
        var starting = Worker(WorkerState.Starting);
        var jobs = Accept(300);
        _dispatcher.Dispatch();

        Assert.Equal(2, a.FramesInFlight);
        Assert.Equal(2, b.FramesInFlight);
        Assert.Empty(starting.InFlight);
        Assert.Equal(300, a.InFlight.Count + b.InFlight.Count + _dispatcher.PendingCount);
        Assert.True(_dispatcher.PendingCount > 0);
        foreach (var w in new[] { a, b })
        {
            Assert.All(w.InFlight, j => Assert.Equal((PoolJobState.Dispatched, w), (j.State, j.Worker)));
            Assert.Equal(w.InFlight.Select(j => j.Seq).Order(), w.InFlight.Select(j => j.Seq));
        }

        // The queue is served first come first served: what is still pending came last.
        var sent = jobs.Where(j => j.State == PoolJobState.Dispatched).ToList();
        Assert.Equal(jobs.Take(sent.Count), sent);
        Assert.Equal(300, _ledger.Outstanding);
    }

    [Fact]
    public void Answers_must_come_in_the_order_sent_and_a_worker_that_answered_its_first_frame_gets_another()
    {
        var w = Worker(WorkerState.Ready);
        Accept(200);
        _dispatcher.Dispatch();
        var first = w.InFlight.TakeWhile(j => !j.LastOfFrame).Append(w.InFlight.First(j => j.LastOfFrame)).ToList();
        var pending = _dispatcher.PendingCount;

        Assert.Throws<ProtocolException>(() => _dispatcher.Answered(w, first[1].Seq, final: true));
        foreach (var job in first)
        {
            Assert.Same(job, _dispatcher.Answered(w, job.Seq, final: true));
            Assert.Equal(PoolJobState.Answered, job.State);
            _ledger.Leave(job);
        }

        Assert.Equal(1, w.FramesInFlight);
        Assert.Equal(200 - first.Count, _ledger.Outstanding);
        _dispatcher.Dispatch();
        Assert.Equal(2, w.FramesInFlight);
        Assert.True(_dispatcher.PendingCount < pending);
    }

    [Fact]
    public void A_queued_unit_cancelled_leaves_at_once_and_a_sent_one_stays_on_the_books_until_its_worker_answers()
    {
        var w = Worker(WorkerState.Starting);
        var jobs = Accept(2);
        _dispatcher.Cancel(jobs[0], new OperationCanceledException("test"));
        Assert.IsType<OperationCanceledException>(Sink(jobs[0]).Error);
        Assert.Equal((PoolJobState.Gone, 1), (jobs[0].State, _ledger.Outstanding));

        w.State = WorkerState.Ready;
        _dispatcher.Dispatch();
        _dispatcher.Cancel(jobs[1], new OperationCanceledException("test"));
        // Its caller hears at once; the pool still counts it until the worker answers (it may still be running).
        Assert.IsType<OperationCanceledException>(Sink(jobs[1]).Error);
        Assert.NotEqual(0, jobs[1].CancelRequestedAt);
        Assert.Equal(1, _ledger.Outstanding);

        _intake.OnResults(w, Results((jobs[1].Seq, ResultKind.OkRaw, BitConverter.GetBytes(4))));
        Assert.Equal(0, _ledger.Outstanding);
        Assert.Equal(1, Sink(jobs[1]).Calls);
    }

    [Fact]
    public void A_closing_pool_refuses_new_work_but_not_retries_and_has_drained_when_the_last_unit_leaves()
    {
        var w = Worker(WorkerState.Ready);
        var job = Accept(1)[0];
        _ledger.Close(immediate: false);
        Assert.False(_ledger.Drained.IsCompleted);
        Assert.Throws<ExecutorClosedException>(() => _dispatcher.Accept(Single(9), CancellationToken.None));
        var retry = Single(9);
        _dispatcher.Accept(retry, CancellationToken.None, accepted: true);

        _intake.OnResults(w, Results((job.Seq, ResultKind.OkRaw, BitConverter.GetBytes(1)), (retry.Seq, ResultKind.OkRaw, BitConverter.GetBytes(81))));
        Assert.True(_ledger.Drained.IsCompletedSuccessfully);
        Assert.Equal(81, BitConverter.ToInt32(Sink(retry).Result));
    }

    [Fact]
    public void Units_put_back_go_to_the_front_of_the_queue_in_their_order_and_are_failed_when_the_pool_stops_now()
    {
        var w = Worker(WorkerState.Ready);
        var jobs = Accept(3);
        _dispatcher.Dispatch();
        w.State = WorkerState.Starting;
        var later = Accept(1)[0];
        foreach (var job in jobs)
        {
            _dispatcher.Answered(w, job.Seq, final: true);
        }

        _dispatcher.Requeue([jobs[1], jobs[2]]);
        w.State = WorkerState.Ready;
        w.FramesInFlight = 0;
        _dispatcher.Dispatch();
        Assert.Equal([jobs[1], jobs[2], later], w.InFlight);

        var answered = _dispatcher.Answered(w, jobs[1].Seq, final: true);
        _ledger.Close(immediate: true);
        _dispatcher.Requeue([answered]);
        Assert.Contains("shut down", Sink(answered).Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Work_is_refused_with_the_crash_loop_while_no_worker_is_ready_and_the_queue_is_handed_over_to_fail()
    {
        var w = Worker(WorkerState.Starting);
        var queued = Accept(2);
        var loop = new WorkerCrashLoopException(6, TimeSpan.FromSeconds(10), "it ended before it was ready", null, []);
        lock (_gate.Lock)
        {
            _gate.CrashLoop = loop;
        }

        Assert.Same(loop, Assert.Throws<WorkerCrashLoopException>(() => _dispatcher.Accept(Single(1), CancellationToken.None)));
        _settler.FailUnservable(loop);
        Assert.All(queued, j => Assert.Same(loop, Sink(j).Error));
        Assert.Equal(0, _ledger.Outstanding);

        w.State = WorkerState.Ready;
        _dispatcher.Accept(Single(1), CancellationToken.None);
        Assert.Single(w.InFlight);
    }

    [Fact]
    public void A_worker_that_has_had_its_share_of_items_is_recycled()
    {
        var w = Worker(WorkerState.Ready);
        Accept(99);
        _dispatcher.Dispatch();
        Assert.Empty(_recycled);
        Accept(64);
        foreach (var job in w.InFlight.ToList())
        {
            _dispatcher.Answered(w, job.Seq, final: true);
        }

        _dispatcher.Dispatch();
        Assert.Equal([w], _recycled);
    }

    [Fact]
    public void A_failed_job_is_retried_under_its_policy_and_fails_with_its_attempts_after_the_last()
    {
        var w = Worker(WorkerState.Ready);
        var job = Single(3, new JobOptions { Retry = new RetryPolicy { MaxAttempts = 2, InitialDelay = TimeSpan.Zero } });
        _dispatcher.Accept(job, CancellationToken.None);
        var firstSeq = job.Seq;

        _intake.OnResults(w, Failed(firstSeq));
        Assert.Equal((2, PoolJobState.Dispatched), (job.Attempt, job.State));
        Assert.NotEqual(firstSeq, job.Seq);
        Assert.Null(Sink(job).Error);

        _intake.OnResults(w, Failed(job.Seq));
        var error = Assert.IsType<JobFailedException>(Sink(job).Error);
        Assert.Equal(2, error.Attempts);
        Assert.Equal(0, _ledger.Outstanding);
    }

    [Fact]
    public void A_dead_workers_running_unit_fails_and_the_ones_it_never_started_go_back_first_in_line_untouched()
    {
        var w = Worker(WorkerState.Ready);
        var jobs = Accept(3);
        _dispatcher.Dispatch();
        var other = Worker(WorkerState.Starting);
        var queued = Accept(1)[0];

        var orphans = Orphans(w);
        _settler.Settle(w, new WorkerExit(null, 9), new SlotSnapshot(Running: true, Seq: jobs[0].Seq, Index: 0, StartTimestamp: 0), orphans);

        var crash = Assert.IsType<WorkerCrashedException>(Sink(jobs[0]).Error);
        Assert.True(crash.WasRunning);
        Assert.All(jobs.Skip(1), j => Assert.Equal((0, 1, PoolJobState.Queued), (Sink(j).Calls, j.Attempt, j.State)));

        other.State = WorkerState.Ready;
        _dispatcher.Dispatch();
        Assert.Equal([jobs[1], jobs[2], queued], other.InFlight);
        Assert.Equal(3, _ledger.Outstanding);
    }

    [Fact]
    public void A_timed_out_job_is_taken_off_its_worker_so_the_workers_end_does_not_settle_it_again()
    {
        var w = Worker(WorkerState.Ready);
        var job = Single(1, new JobOptions { Timeout = TimeSpan.FromSeconds(1) });
        _dispatcher.Accept(job, CancellationToken.None);
        var slot = new SlotSnapshot(Running: true, Seq: job.Seq, Index: 0, StartTimestamp: 0);

        _settler.OnTimeout(job, w, slot);
        Assert.IsType<JobTimeoutException>(Sink(job).Error);
        Assert.Empty(w.InFlight);
        _settler.Settle(w, new WorkerExit(null, 15), slot, Orphans(w));
        Assert.Equal(1, Sink(job).Calls);
        Assert.Equal(0, _ledger.Outstanding);
    }

    private WorkerHandle Worker(WorkerState state)
    {
        var path = Path.Combine(Gamut.Ipc.Native.MappedRegion.SharedMemoryDirectory, $"gamut-test-{Environment.ProcessId}-{Guid.NewGuid():N}.slot");
        var slot = WorkerSlot.Create(path);
        File.Delete(path);
        _slots.Add(slot);
        var w = new WorkerHandle(_gate.Workers.Count + 1, "token", slot, stderrLines: 5) { State = state };
        _gate.Workers.Add(w);
        return w;
    }

    /// <summary>What the supervisor does when a worker ends: its in-flight units leave it.</summary>
    private List<PoolJob> Orphans(WorkerHandle w)
    {
        lock (_gate.Lock)
        {
            w.State = WorkerState.Dead;
            _gate.Workers.Remove(w);
            List<PoolJob> orphans = [.. w.InFlight];
            w.InFlight.Clear();
            foreach (var job in orphans)
            {
                job.State = PoolJobState.Answered;
                job.Worker = null;
            }

            return orphans;
        }
    }

    private List<PoolJob> Accept(int count)
    {
        var jobs = Enumerable.Range(0, count).Select(i => (PoolJob)Single(i)).ToList();
        foreach (var job in jobs)
        {
            _dispatcher.Accept(job, CancellationToken.None, dispatch: false);
        }

        return jobs;
    }

    private SingleJob Single(int input, JobOptions? options = null) =>
        new(_square, "pool.square", $"j{input}", 1, options ?? JobOptions.Default, BitConverter.GetBytes(input), raw: true, new RecordingSink());

    private static RecordingSink Sink(PoolJob job) => (RecordingSink)((SingleJob)job).Sink;

    private static byte[] Results(params (long Seq, ResultKind Kind, byte[] Payload)[] results)
    {
        var body = new FrameWriter(256);
        body.U32((uint)results.Length);
        foreach (var (seq, kind, payload) in results)
        {
            body.I64(seq);
            body.U8((byte)kind);
            body.Bytes(payload);
        }

        return body.Written.ToArray();
    }

    private static byte[] Failed(long seq)
    {
        var body = new FrameWriter(256);
        body.U32(1);
        body.I64(seq);
        body.U8((byte)ResultKind.Error);
        body.U8((byte)ErrorCode.Failed);
        JobErrorCodec.Write(body, new JobError("System.InvalidOperationException", "no", null));
        return body.Written.ToArray();
    }

    private sealed class RecordingSink : IResultSink
    {
        public byte[]? Result { get; private set; }

        public Exception? Error { get; private set; }

        public int Calls { get; private set; }

        public void SetResult(ReadOnlySpan<byte> payload, bool raw)
        {
            Result = payload.ToArray();
            Calls++;
        }

        public void SetError(Exception error)
        {
            Error = error;
            Calls++;
        }
    }
}
