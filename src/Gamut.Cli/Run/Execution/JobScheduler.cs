using System.Threading.Channels;
using Gamut.Cli.Run.Halt;
using Gamut.Cli.Run.Inputs;
using Gamut.Cli.Run.JobLog;
using Gamut.Cli.Run.Options;
using Gamut.Cli.Run.Output;
using Gamut.Cli.Run.Templates;
using Gamut.Jobs.Commands;

namespace Gamut.Cli.Run.Execution;

/// <summary>
/// Runs the jobs: keeps up to -j of them running on the backend, starts the next as one ends (after
/// <c>--delay</c>), retries failures (<c>--retries</c>), and hands each finished job to the output, the joblog, the
/// halt policy and the progress display. Everything but the backend's work happens on this one logical loop, so
/// none of that state needs a lock. A stop — <c>--halt now</c>, a signal, a closed stdout — stops the running jobs
/// gracefully through the backend; jobs stopped that way are neither logged nor counted, so <c>--resume</c> runs
/// them again.
/// </summary>
internal sealed class JobScheduler
{
    private readonly RunOptions _options;
    private readonly int _maxJobs;
    private readonly JobFactory _factory;
    private readonly IJobBackend _backend;
    private readonly IRunOutput _output;
    private readonly JobLogWriter? _log;
    private readonly JobLogHistory _history;
    private readonly HaltPolicy _halt;
    private readonly IRunProgress _progress;
    private readonly TimeoutPolicy _timeouts;
    private readonly SlotPool _slots;
    private readonly Channel<Event> _events = Channel.CreateUnbounded<Event>(new UnboundedChannelOptions { SingleReader = false, AllowSynchronousContinuations = true });
    private readonly CancellationTokenSource _stopJobs = new();
    private readonly Action<string> _warn;
    private readonly OrderedJobLog? _orderedLog;
    private readonly ResultsWriter? _results;
    private readonly StartGate _gate;
    private readonly Dictionary<PlannedJob, long> _startedAt = [];
    private int _running;
    private bool _stopStarting;
    private long _nextStartTicks;

    public JobScheduler(RunOptions options, int maxJobs, JobFactory factory, IJobBackend backend, IRunOutput output,
        JobLogWriter? log, JobLogHistory history, HaltPolicy halt, IRunProgress progress, Action<string> warn, ResultsWriter? results = null)
    {
        _results = results;
        _orderedLog = options.KeepOrder && log is not null ? new OrderedJobLog(log) : null;
        _gate = new StartGate(options.MemFree, options.MaxLoad);
        _warn = warn;
        _options = options;
        _maxJobs = maxJobs;
        _factory = factory;
        _backend = backend;
        _output = output;
        _log = log;
        _history = history;
        _halt = halt;
        _progress = progress;
        _timeouts = new TimeoutPolicy(options.Timeout, schedulerStops: options.TermSeq is not null);
        _slots = new SlotPool(maxJobs);
    }

    /// <summary>Why the run stopped early, if it did.</summary>
    public StopReason Stopped { get; private set; }

    /// <summary>The signal that stopped the run, when <see cref="Stopped"/> is <see cref="StopReason.Signal"/>.</summary>
    public int StopSignal { get; private set; }

    /// <summary>Asks the run to stop (thread-safe): a signal to gamut, or its stdout closing.</summary>
    public void RequestStop(StopReason reason, int signal = 0) => _events.Writer.TryWrite(new Event(null, null, null, reason, signal));

    public async Task RunAsync(IJobInputs inputs)
    {
        using var ticking = new CancellationTokenSource();
        if (_timeouts.Watches || _gate.Enabled)
        {
            _ = TickAsync(_timeouts.Watches ? 20 : 1000, ticking.Token);
        }

        while (true)
        {
            var gateOpen = !_gate.Enabled || _stopStarting || _running >= _maxJobs || _gate.IsOpen();
            while (gateOpen && !_stopStarting && _running < _maxJobs && inputs.TryTake(out var record))
            {
                if (_history.AlreadyRan(record.Seq))
                {
                    continue;
                }

                await WaitForDelayAsync().ConfigureAwait(false);
                if (_stopStarting)
                {
                    break;
                }

                Start(record);
                gateOpen = !_gate.Enabled || _running >= _maxJobs || _gate.IsOpen();
            }

            if (inputs.Completed is { } total)
            {
                _progress.SetTotal(total - _history.Count);
            }

            if (_running == 0 && (_stopStarting || inputs.Completed is not null))
            {
                break;
            }

            if (!_events.Reader.TryRead(out var e))
            {
                var canStart = gateOpen && !_stopStarting && _running < _maxJobs && inputs.Completed is null;
                if (canStart)
                {
                    var evt = _events.Reader.WaitToReadAsync().AsTask();
                    await Task.WhenAny(evt, inputs.WaitAsync()).ConfigureAwait(false);
                }
                else
                {
                    await _events.Reader.WaitToReadAsync().ConfigureAwait(false);
                }

                continue;
            }

            Handle(e);
        }

        ticking.Cancel();
        _output.Complete();
    }

    // Wakes the loop now and then: to stop jobs past a --timeout it watches, to look at --memfree/--load again.
    private async Task TickAsync(int milliseconds, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(milliseconds, stop).ConfigureAwait(false);
                _events.Writer.TryWrite(new Event(null, null, null, StopReason.None, 0));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void StopJobsPastTheirTime()
    {
        if (!_timeouts.Watches || _timeouts.LimitSeconds is not { } limit)
        {
            return;
        }

        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        foreach (var (job, started) in _startedAt)
        {
            if (!job.TimedOutByScheduler && System.Diagnostics.Stopwatch.GetElapsedTime(started, now).TotalSeconds > limit)
            {
                job.TimedOutByScheduler = true;
                job.Stop?.Cancel();
            }
        }
    }

    private void Start(InputRecord record)
    {
        var slot = _slots.Take();
        var job = _factory.Create(record, slot, _timeouts.SecondsForNextJob());
        _halt.OnStarted();
        _progress.OnStarted();
        _output.OnStarted(job);
        _orderedLog?.OnStarted(job.Seq);
        Launch(job);
    }

    private void Launch(PlannedJob job)
    {
        job.Attempt++;
        _running++;
        if (_timeouts.Watches)
        {
            job.Stop?.Dispose();
            job.Stop = CancellationTokenSource.CreateLinkedTokenSource(_stopJobs.Token);
            job.TimedOutByScheduler = false;
            _startedAt[job] = System.Diagnostics.Stopwatch.GetTimestamp();
        }

        var request = new JobRequest(job.Spec, job.CommandLine, job.Seq, job.Slot, _output.Routing, _output, job.Program);
        // The spawn runs on a pool thread, not here: posix_spawn holds its caller until the child has exec'd
        // (CLONE_VFORK), and with the scheduler doing it every start waited for the one before it.
        ThreadPool.UnsafeQueueUserWorkItem(static s => _ = s.Scheduler.RunOneAsync(s.Job, s.Request), (Scheduler: this, Job: job, Request: request), preferLocal: false);
    }

    private async Task RunOneAsync(PlannedJob job, JobRequest request)
    {
        CommandOutcome? outcome = null;
        Exception? error = null;
        try
        {
            outcome = await _backend.RunAsync(request, job.Stop?.Token ?? _stopJobs.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            error = e;
        }

        _events.Writer.TryWrite(new Event(job, outcome, error, StopReason.None, 0));
    }

    private void Handle(Event e)
    {
        if (e.Job is null)
        {
            if (e.Reason == StopReason.None)
            {
                StopJobsPastTheirTime();
                return;
            }

            Stop(e.Reason, e.Signal);
            return;
        }

        var job = e.Job;
        _running--;
        _startedAt.Remove(job);
        if (_stopJobs.IsCancellationRequested)
        {
            // Stopped by us: not a result. Left out of the joblog so --resume runs it again.
            _slots.Release(job.Slot);
            _output.OnAbandoned(job);
            _orderedLog?.OnAbandoned(job.Seq);
            return;
        }

        var now = DateTimeOffset.UtcNow;
        var outcome = e.Outcome ?? new CommandOutcome { ExitCode = -1, StartTime = now, EndTime = now };
        if (job.TimedOutByScheduler && e.Outcome is { } stopped)
        {
            outcome = stopped with { TimedOut = true };
        }

        var (exit, signal) = (e.Outcome is null ? null : outcome) switch
        {
            null => (-1, 0),
            { TimedOut: true } o => (-1, o.Signal ?? 15),
            { Signal: { } s } => (0, s),
            var o => (o.ExitCode, 0),
        };
        var finished = new FinishedJob(job, outcome, exit, signal, e.Error is null ? null : Describe(e.Error));
        if (finished.Failed && job.Attempt < _options.Attempts && !_stopStarting)
        {
            Launch(job);
            return;
        }

        _slots.Release(job.Slot);
        if (finished.Error is not null)
        {
            _warn($"job {job.Seq} could not run: {finished.Error}");
        }

        if (!finished.Failed)
        {
            _timeouts.OnSucceeded(outcome.Duration);
        }
        else if (outcome.TimedOut)
        {
            _warn($"job {job.Seq} timed out and was stopped: {job.CommandLine}");
        }

        if (_orderedLog is not null)
        {
            _orderedLog.OnFinished(job.Seq, log => log.Append(job.Seq, outcome.StartTime, outcome.Duration, job.Sent, outcome.Stdout.Length, exit, signal, job.CommandLine));
        }
        else
        {
            _log?.Append(job.Seq, outcome.StartTime, outcome.Duration, job.Sent, outcome.Stdout.Length, exit, signal, job.CommandLine);
        }

        // With --results the output is in the files only (parallel 20221122 prints none of it).
        _results?.Write(finished);
        _output.OnFinished(_results is null ? finished : finished with { Outcome = outcome with { Stdout = [], Stderr = [] } });
        _progress.OnFinished(finished.Failed);
        var halt = _halt.OnFinished(exit, signal);
        if (halt == HaltWhen.Soon)
        {
            _stopStarting = true;
        }
        else if (halt == HaltWhen.Now)
        {
            Stop(StopReason.Halt, 0);
        }
    }

    private void Stop(StopReason reason, int signal)
    {
        if (reason == StopReason.HardStop)
        {
            _backend.KillAll();
            return;
        }

        if (Stopped == StopReason.None)
        {
            Stopped = reason;
            StopSignal = signal;
        }

        _stopStarting = true;
        if (!_stopJobs.IsCancellationRequested)
        {
            _stopJobs.Cancel();
        }
    }

    private async ValueTask WaitForDelayAsync()
    {
        if (_options.DelaySeconds <= 0)
        {
            return;
        }

        var now = Environment.TickCount64;
        if (_nextStartTicks > now)
        {
            await Task.Delay((int)(_nextStartTicks - now)).ConfigureAwait(false);
        }

        _nextStartTicks = Environment.TickCount64 + (long)(_options.DelaySeconds * 1000);
    }

    private static string Describe(Exception e) => e is AggregateException { InnerException: { } inner } ? inner.Message : e.Message;

    private sealed record Event(PlannedJob? Job, CommandOutcome? Outcome, Exception? Error, StopReason Reason, int Signal);
}

/// <summary>Why a run ended before all its jobs ran.</summary>
internal enum StopReason
{
    None,

    /// <summary><c>--halt now</c>.</summary>
    Halt,

    /// <summary>SIGINT or SIGTERM to gamut.</summary>
    Signal,

    /// <summary>A second SIGINT: kill every job at once.</summary>
    HardStop,

    /// <summary>Nobody reads stdout any more.</summary>
    StdoutClosed,
}
