using System.Text;
using Gamut.Jobs;
using Gamut.Redis.Scripts;
using Gamut.Redis.Worker;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gamut.Redis;

internal sealed partial class InstanceWorker
{
    private void Start(TakenJob job)
    {
        Interlocked.Increment(ref _runningCount);
        _slots.StartRunning();
        _ = Task.Run(() => RunOneAsync(job));
    }

    private async Task RunOneAsync(TakenJob job)
    {
        var registered = false;
        var slotReleased = false;
        try
        {
            CrashPoints.Hit("after-take", () => !_taking && Volatile.Read(ref _recording) == 0 && Volatile.Read(ref _runningCount) == 1);
            if (job.Raw is not null && !await AdoptAsync(job).ConfigureAwait(false))
            {
                return;
            }

            _running[(job.Queue.Queue, job.Id)] = job;
            if (job.EntryKey != job.Id)
            {
                // Adopted: the raw entry was replaced by the id in the in-flight list.
                _held[(job.Queue.Queue, job.Id)] = 0;
                _held.TryRemove((job.Queue.Queue, job.EntryKey), out _);
                job.EntryKey = job.Id;
            }

            registered = true;
            Worker.Completion completion;
            using (var activity = WorkerTelemetry.Start(job))
            {
                var started = WorkerTelemetry.Started(job);
                completion = await ExecuteAsync(job).ConfigureAwait(false);
                if (job.HandedBack)
                {
                    completion = Worker.Completion.Create(job, "back");
                }

                WorkerTelemetry.Ended(job, completion.Kind, started, activity);
            }

            // The slot is for running: it frees when the job body returns, and the outcome is recorded in the
            // background (batched with others), so the next take overlaps this one's recording. Until Redis has the
            // outcome the job stays in our in-flight list: a crash now means it runs again, never that it is lost.
            // The outcome is handed to the sink before the slot frees, so a draining shutdown never misses it.
            job.Finished = true;
            CrashPoints.Hit("after-run", () => !_taking && Volatile.Read(ref _recording) == 0 && Volatile.Read(ref _runningCount) == 1);
            Interlocked.Increment(ref _recording);
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
                Interlocked.Decrement(ref _recording);
                _slots.StopRecording();
            }

            CrashPoints.Hit("after-complete", () => !_taking && Volatile.Read(ref _recording) == 0 && Volatile.Read(ref _runningCount) == 0);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Only adoption talks to Redis here; the raw entry stays in the in-flight list for the reaper.
            _log.LogWarning(e, "Worker {Worker}: a job could not be started", Id);
        }
        finally
        {
            if (registered)
            {
                _running.TryRemove((job.Queue.Queue, job.Id), out _);
            }

            // Whatever happened, the entry is no longer ours to track: if it is still in our in-flight list (an
            // outcome Redis never took), the reconciliation pass gives it back to the queue.
            _held.TryRemove((job.Queue.Queue, job.EntryKey), out _);

            if (!slotReleased)
            {
                ReleaseSlot();
            }
        }
    }

    private void ReleaseSlot()
    {
        Interlocked.Decrement(ref _runningCount);
        _slots.StopRunning();
    }

    /// <summary>Runs the job and turns whatever happened into the outcome to record.</summary>
    private async Task<Worker.Completion> ExecuteAsync(TakenJob job)
    {
        if (!_options.Registry.TryGet(job.Name, out var descriptor))
        {
            var detail = $"no job is registered under the name '{Clip(job.Name)}' on worker {Id}; only registered jobs run";
            return Dead(job, "unknown-job", detail);
        }

        using var timeout = job.Timeout is { } t ? new CancellationTokenSource(t) : null;
        using var linked = timeout is null
            ? CancellationTokenSource.CreateLinkedTokenSource(job.Cancel.Token)
            : CancellationTokenSource.CreateLinkedTokenSource(job.Cancel.Token, timeout.Token);
        var progress = new ProgressPublisher(this, job);
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
                    return TimedOut(job, limit, "it ignored its cancellation token and still runs on a worker thread");
                }
            }

            var result = await run.ConfigureAwait(false);
            if (result.Length > _connection.Options.MaxPayloadBytes)
            {
                return Failure(job, new JobSerializationException($"The result is {result.Length} bytes, over the limit of {_connection.Options.MaxPayloadBytes}"), retryable: false);
            }

            return Worker.Completion.Create(job, "ok", result);
        }
        catch (OperationCanceledException) when (job.HandedBack)
        {
            return Worker.Completion.Create(job, "back");
        }
        catch (OperationCanceledException) when (job.CancelRequested)
        {
            return Worker.Completion.Create(job, "cancel");
        }
        catch (OperationCanceledException) when (timeout?.IsCancellationRequested == true)
        {
            return TimedOut(job, job.Timeout!.Value, "its cancellation token was cancelled (in-process code that ignores it runs on, outside the worker's slots)");
        }
        catch (JobSerializationException e) when (e.Message.StartsWith("The input of job", StringComparison.Ordinal))
        {
            return Dead(job, "bad-payload", e.Message);
        }
        catch (Exception e)
        {
            return Failure(job, e, retryable: true);
        }
        finally
        {
            progress.Dispose();
        }
    }

    private Worker.Completion Failure(TakenJob job, Exception e, bool retryable)
    {
        var error = JobError.From(e);
        var code = e switch
        {
            JobTimeoutException => "timeout",
            Gamut.Pool.WorkerCrashedException => "crashed",
            _ => "failed",
        };
        var body = DeadLetterEntry.Error(code, error.Type, error.Message, error.StackTrace);
        var policy = Backoff.Parse(job.Backoff, job.MaxAttempts);
        var failures = job.Failures + 1;
        if (retryable && failures < policy.MaxAttempts)
        {
            var delay = (long)policy.DelayBefore(failures + 1).TotalMilliseconds;
            return Worker.Completion.Create(job, "retry", body, Encoding.ASCII.GetBytes(delay.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        var detail = $"{error.Type}: {error.Message}";
        var entry = DeadLetterEntry.Create(job.Queue.Queue, job.Id, job.Name, "failed", detail, failures);
        return Worker.Completion.Create(job, "fail", body, entry);
    }

    private Worker.Completion TimedOut(TakenJob job, TimeSpan limit, string how)
    {
        var error = new JobTimeoutException(job.Name, job.Id, limit, how);
        var policy = Backoff.Parse(job.Backoff, job.MaxAttempts);
        if (policy.RetryOnTimeout)
        {
            return Failure(job, error, retryable: true);
        }

        var body = DeadLetterEntry.Error("timeout", typeof(JobTimeoutException).FullName!, error.Message);
        var entry = DeadLetterEntry.Create(job.Queue.Queue, job.Id, job.Name, "timeout", error.Message, job.Failures + 1);
        return Worker.Completion.Create(job, "fail", body, entry);
    }

    private static Worker.Completion Dead(TakenJob job, string reason, string detail)
    {
        var body = DeadLetterEntry.Error("dead", "Gamut.Redis.DeadLetter", detail, reason: reason);
        var entry = DeadLetterEntry.Create(job.Queue.Queue, job.Id, job.Name, reason, detail, (int)job.Fence);
        return Worker.Completion.Create(job, "dead", body, entry);
    }

    /// <summary>Reads a raw envelope pushed by another client; adopts it as a job record, or dead-letters it with the reason.</summary>
    private async Task<bool> AdoptAsync(TakenJob job)
    {
        var q = job.Queue;
        var o = _connection.Options;
        var raw = job.Raw!;
        JobEnvelope envelope;
        try
        {
            envelope = JobEnvelopeCodec.Read(raw, o.MaxPayloadBytes);
            if (envelope.Format != _options.Serializer.Format)
            {
                throw new EnvelopeException(EnvelopeError.InvalidField, $"the payload format '{Clip(envelope.Format)}' is not this worker's '{_options.Serializer.Format}'");
            }
        }
        catch (EnvelopeException e)
        {
            var reason = e.Reason switch
            {
                EnvelopeError.NotJson => "not-json",
                EnvelopeError.NotAnObject => "wrong-shape",
                EnvelopeError.MissingField => "missing-field",
                EnvelopeError.UnsupportedVersion => "unsupported-version",
                EnvelopeError.TooLarge => "too-large",
                _ => "invalid-field",
            };
            var entry = DeadLetterEntry.Create(q.Queue, null, null, reason, e.Message, rawEntry: raw);
            var removed = (long)await _connection.Database.ScriptEvaluateAsync(LuaScripts.RawDead, [q.Active(Id), q.Dead, q.Stats], [raw, entry, o.DeadLetterMax]).ConfigureAwait(false);
            if (removed == 1)
            {
                Interlocked.Increment(ref _dead);
            }

            return false;
        }

        var duplicate = DeadLetterEntry.Create(q.Queue, envelope.Id, envelope.Name, "duplicate-id", $"a job with the id {envelope.Id} already exists; the raw entry was not run", rawEntry: raw);
        var verdict = (string?)await _connection.Database.ScriptEvaluateAsync(
            LuaScripts.Adopt,
            [q.Active(Id), q.Stats, q.Dead, q.Job(envelope.Id)],
            [raw, Id, envelope.Id, envelope.Name, envelope.Payload, envelope.MaxAttempts, envelope.Timeout is { } t ? (long)t.TotalMilliseconds : "", envelope.CreatedAt.ToUnixTimeMilliseconds(), duplicate, o.DeadLetterMax]).ConfigureAwait(false);
        if (verdict != "ok")
        {
            if (verdict == "duplicate-id")
            {
                Interlocked.Increment(ref _dead);
            }

            return false;
        }

        job.Id = envelope.Id;
        job.Fence = 1;
        job.Name = envelope.Name;
        job.Payload = envelope.Payload;
        job.MaxAttempts = envelope.MaxAttempts;
        job.Timeout = envelope.Timeout;
        job.Raw = null;
        return true;
    }

    private static string Clip(string s) => s.Length <= 100 ? s : string.Concat(s.AsSpan(0, 100), "…");

    /// <summary>Publishes a job's progress, at most ten times a second (the latest report wins).</summary>
    private sealed class ProgressPublisher(InstanceWorker worker, TakenJob job) : IProgress<JobProgress>, IDisposable
    {
        private long _last;
        private volatile bool _disposed;

        public void Report(JobProgress value)
        {
            var now = Environment.TickCount64;
            var last = Interlocked.Read(ref _last);
            if (_disposed || (now - last < 100 && last != 0) || Interlocked.CompareExchange(ref _last, now, last) != last)
            {
                return;
            }

            var json = System.Text.Json.JsonSerializer.Serialize(new ProgressBody(value.Fraction, value.Message), ProgressJson.Default.ProgressBody);
            var q = job.Queue;
            _ = worker._connection.Database.ScriptEvaluateAsync(
                LuaScripts.Progress, [q.Job(job.Id)], [job.Fence, worker.Id, json, q.Queue, job.Id], CommandFlags.FireAndForget);
        }

        public void Dispose() => _disposed = true;
    }
}
