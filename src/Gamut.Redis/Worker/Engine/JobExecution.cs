using Gamut.Jobs;
using Gamut.Redis.Connection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gamut.Redis.Worker.Engine;

/// <summary>
/// Runs the jobs taken from one instance: adopts a raw entry first, runs the body within one of the worker's slots
/// (with its timeout, cancel and progress), turns whatever happened into the outcome, and hands it to the sink. The
/// slot frees when the body returns; the job stays held until Redis has its outcome. At shutdown, hands back to their
/// queue the jobs that outlive the deadline.
/// </summary>
internal sealed class JobExecution
{
    private readonly RedisConnection _connection;
    private readonly RedisWorkerOptions _options;
    private readonly string _workerId;
    private readonly IJobRunner _runner;
    private readonly WorkerSlots _slots;
    private readonly HeldJobs _held;
    private readonly CompletionSink _sink;
    private readonly RawEntryAdopter _adopter;
    private readonly Func<bool> _taking;
    private readonly SemaphoreSlim _slotReleased = new(0, 1);
    private readonly ILogger _log;

    /// <param name="connection">The instance the jobs came from.</param>
    /// <param name="options">The worker's options (its registry and serializer).</param>
    /// <param name="workerId">The worker's id.</param>
    /// <param name="runner">Where job bodies run.</param>
    /// <param name="slots">The worker's shared slots.</param>
    /// <param name="held">This instance's held jobs.</param>
    /// <param name="sink">Where outcomes go to be recorded.</param>
    /// <param name="adopter">Turns raw entries into jobs.</param>
    /// <param name="taking">Whether a take is in flight (only the crash points ask).</param>
    public JobExecution(RedisConnection connection, RedisWorkerOptions options, string workerId, IJobRunner runner, WorkerSlots slots, HeldJobs held, CompletionSink sink, RawEntryAdopter adopter, Func<bool> taking)
    {
        _connection = connection;
        _options = options;
        _workerId = workerId;
        _runner = runner;
        _slots = slots;
        _held = held;
        _sink = sink;
        _adopter = adopter;
        _taking = taking;
        _log = connection.Logger;
    }

    /// <summary>Takes a slot for the job and runs it in the background.</summary>
    public void Start(TakenJob job)
    {
        _held.StartRunning();
        _slots.StartRunning();
        _ = Task.Run(() => RunAsync(job));
    }

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for the running jobs to finish; then cancels those left, gives them two
    /// seconds, and hands each back to its queue (one that ignored its token too: its late outcome is fenced off).
    /// </summary>
    public async Task FinishOrHandBackAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Said once taking has stopped: from here no job is taken, so an operator (or a test) knows the jobs still
        // queued stay for other workers, and how long the running ones have.
        _log.LogInformation("Worker {Worker} stopped taking jobs; {Running} running have {Timeout} to finish before they are handed back", _workerId, _held.Running, timeout);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (_held.Running > 0 && !deadline.IsCancellationRequested)
        {
            await _slotReleased.WaitAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None).ConfigureAwait(false);
        }

        var left = _held.Unfinished();
        if (left.Length == 0)
        {
            return;
        }

        // Past the deadline: cancel what still runs and give it back to its queue for another worker.
        _log.LogWarning("Worker {Worker}: {Count} jobs still running at the shutdown deadline; handing them back", _workerId, left.Length);
        foreach (var job in left)
        {
            job.HandedBack = true;
            await job.Cancel.CancelAsync().ConfigureAwait(false);
        }

        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        while (_held.Running > 0 && !grace.IsCancellationRequested)
        {
            await _slotReleased.WaitAsync(TimeSpan.FromMilliseconds(50), CancellationToken.None).ConfigureAwait(false);
        }

        foreach (var job in _held.Unfinished())
        {
            // Ignored its token: hand it back anyway; its own late outcome would be rejected by the fence.
            _ = _sink.Add(Completion.Create(job, "back"));
        }
    }

    private async Task RunAsync(TakenJob job)
    {
        var registered = false;
        var slotReleased = false;
        try
        {
            CrashPoints.Hit("after-take", () => !_taking() && _held.Recording == 0 && _held.Running == 1);
            if (job.Raw is not null && !await _adopter.AdoptAsync(job).ConfigureAwait(false))
            {
                return;
            }

            _held.Register(job);
            registered = true;
            Completion completion;
            using (var activity = WorkerTelemetry.Start(job))
            {
                var started = WorkerTelemetry.Started(job);
                completion = await ExecuteAsync(job).ConfigureAwait(false);
                if (job.HandedBack)
                {
                    completion = Completion.Create(job, "back");
                }

                WorkerTelemetry.Ended(job, completion.Kind, started, activity);
            }

            // The slot is for running: it frees when the job body returns, and the outcome is recorded in the
            // background (batched with others), so the next take overlaps this one's recording. Until Redis has the
            // outcome the job stays in our in-flight list: a crash now means it runs again, never that it is lost.
            // The outcome is handed to the sink before the slot frees, so a draining shutdown never misses it.
            job.Finished = true;
            CrashPoints.Hit("after-run", () => !_taking() && _held.Recording == 0 && _held.Running == 1);
            _held.StartRecording();
            _slots.StartRecording();
            var verdict = _sink.Add(completion);
            slotReleased = true;
            ReleaseSlot();
            try
            {
                await verdict.ConfigureAwait(false);
            }
            finally
            {
                _held.StopRecording();
                _slots.StopRecording();
            }

            CrashPoints.Hit("after-complete", () => !_taking() && _held.Recording == 0 && _held.Running == 0);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Only adoption talks to Redis here; the raw entry stays in the in-flight list for the reaper.
            _log.LogWarning(e, "Worker {Worker}: a job could not be started", _workerId);
        }
        finally
        {
            if (registered)
            {
                _held.Unregister(job);
            }

            // Whatever happened, the entry is no longer ours to track: if it is still in our in-flight list (an
            // outcome Redis never took), the reconciliation pass gives it back to the queue.
            _held.Release(job.Queue.Queue, job.EntryKey);

            if (!slotReleased)
            {
                ReleaseSlot();
            }
        }
    }

    private void ReleaseSlot()
    {
        _held.StopRunning();
        _slots.StopRunning();
        Signals.Set(_slotReleased);
    }

    /// <summary>Runs the job and turns whatever happened into the outcome to record.</summary>
    private async Task<Completion> ExecuteAsync(TakenJob job)
    {
        if (!_options.Registry.TryGet(job.Name, out var descriptor))
        {
            var detail = $"no job is registered under the name '{Outcomes.Clip(job.Name)}' on worker {_workerId}; only registered jobs run";
            return Outcomes.Dead(job, "unknown-job", detail);
        }

        using var timeout = job.Timeout is { } t ? new CancellationTokenSource(t) : null;
        using var linked = timeout is null
            ? CancellationTokenSource.CreateLinkedTokenSource(job.Cancel.Token)
            : CancellationTokenSource.CreateLinkedTokenSource(job.Cancel.Token, timeout.Token);
        var progress = new ProgressPublisher(_connection, _workerId, job);
        var context = new JobContext(job.Id, job.Name, (int)Math.Min(job.Fence, int.MaxValue), linked.Token, _log, progress);
        var run = _runner.RunAsync(descriptor, job.Payload, context);
        try
        {
            if (job.Timeout is { } limit)
            {
                // An in-process job that ignores its token cannot be stopped: stop waiting for it after a grace period.
                var finished = await Task.WhenAny(run, Task.Delay(limit + TimeSpan.FromSeconds(1))).ConfigureAwait(false);
                if (finished != run)
                {
                    _ = run.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
                    return Outcomes.TimedOut(job, limit, "it ignored its cancellation token and still runs on a worker thread");
                }
            }

            var result = await run.ConfigureAwait(false);
            if (result.Length > _connection.Options.MaxPayloadBytes)
            {
                return Outcomes.Failure(job, new JobSerializationException($"The result is {result.Length} bytes, over the limit of {_connection.Options.MaxPayloadBytes}"), retryable: false);
            }

            return Completion.Create(job, "ok", result);
        }
        catch (OperationCanceledException) when (job.HandedBack)
        {
            return Completion.Create(job, "back");
        }
        catch (OperationCanceledException) when (job.CancelRequested)
        {
            return Completion.Create(job, "cancel");
        }
        catch (OperationCanceledException) when (timeout?.IsCancellationRequested == true)
        {
            return Outcomes.TimedOut(job, job.Timeout!.Value, "its cancellation token was cancelled (in-process code that ignores it runs on, outside the worker's slots)");
        }
        catch (JobSerializationException e) when (e.Message.StartsWith("The input of job", StringComparison.Ordinal))
        {
            return Outcomes.Dead(job, "bad-payload", e.Message);
        }
        catch (Exception e)
        {
            return Outcomes.Failure(job, e, retryable: true);
        }
        finally
        {
            progress.Dispose();
        }
    }
}
