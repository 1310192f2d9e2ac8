using Gamut.Redis.Connection;
using Gamut.Redis.Keys;
using Gamut.Redis.Worker;
using Gamut.Redis.Worker.Engine;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gamut.Redis;

/// <summary>
/// The part of a <see cref="RedisWorker"/> that serves one Redis (one instance, or one member of a ring): takes jobs
/// from its queues (highest priority first) within the worker's shared slots, records their outcomes, proves the
/// worker is alive there with heartbeats, and returns the jobs of dead workers to their queues.
/// </summary>
/// <remarks>
/// It composes stand-alone parts (Worker/Engine): the taker takes jobs, the execution runs them and hands their
/// outcomes to the sink, the held jobs say what this process holds; the heartbeat, the reaper and the reconciler make
/// the maintenance loop; the registration joins and leaves the instance.
/// </remarks>
internal sealed class InstanceWorker
{
    private readonly RedisConnection _connection;
    private readonly RedisWorkerOptions _options;
    private readonly WorkerSlots _slots;
    private readonly Action<string>? _ended;
    private readonly ILogger _log;
    private readonly HeldJobs _held = new();
    private readonly WorkerTally _tally = new();
    private readonly CompletionSink _sink;
    private readonly JobTaker _taker;
    private readonly JobExecution _execution;
    private readonly Heartbeat _heartbeat;
    private readonly MaintenanceLoop _maintenanceLoop;
    private readonly WorkerRegistration _registration;
    private readonly CancellationTokenSource _stopTaking = new();
    private readonly CancellationTokenSource _stopAll = new();
    private readonly Lock _stopLock = new();
    private Task _pull = Task.CompletedTask;
    private Task _maintenance = Task.CompletedTask;
    private Task? _stopping;

    /// <param name="connection">The Redis served.</param>
    /// <param name="options">The worker's options.</param>
    /// <param name="id">The worker's id (the same on every instance it serves).</param>
    /// <param name="runner">Where jobs run (shared by every instance the worker serves).</param>
    /// <param name="slots">The worker's job slots (shared likewise).</param>
    /// <param name="ended">Told <c>queue id</c> of every job whose end this instance acknowledged (a ring's pending index).</param>
    public InstanceWorker(RedisConnection connection, RedisWorkerOptions options, string id, IJobRunner runner, WorkerSlots slots, Action<string>? ended)
    {
        _connection = connection;
        _options = options;
        _log = connection.Logger;
        Id = id;
        _slots = slots;
        _ended = ended;
        QueueKeys[] queues = [.. options.Queues.Select(connection.Queue)];
        var broken = new BrokenQueues(_log, id, connection.Name);
        _sink = new CompletionSink(connection, id);
        _sink.Recorded += OnRecorded;
        var adopter = new RawEntryAdopter(connection, id, options.Serializer, _tally);
        _execution = new JobExecution(connection, options, id, runner, slots, _held, _sink, adopter, () => _taker!.IsTaking);
        _taker = new JobTaker(connection, options, id, queues, slots, _held, broken, _execution.Start);
        _slots.Register(_taker.SlotFreed);
        _heartbeat = new Heartbeat(connection, options, id, queues, _held, broken, (queue, job) => _held.Cancel(queue, job));
        _maintenanceLoop = new MaintenanceLoop(connection, id, _heartbeat, new Reaper(connection, id, queues, broken, _tally), new InFlightReconciler(connection, id, queues, _held));
        _registration = new WorkerRegistration(connection, id, queues);
    }

    public string Id { get; }

    public RedisConnection Connection => _connection;

    public int RunningJobs => _held.Running;

    public WorkerCounters Counters => _tally.Snapshot;

    /// <summary>When this worker last proved to this instance that it is alive (its heartbeat key was set).</summary>
    public DateTimeOffset LastHeartbeat => _heartbeat.Last;

    public Task Completion => _stopping ?? Task.WhenAll(_pull, _maintenance);

    public async Task BeginAsync(CancellationToken cancellationToken)
    {
        await _registration.JoinAsync(OnControl, _taker.Wake, cancellationToken).ConfigureAwait(false);
        _connection.Multiplexer.ConnectionRestored += OnRestored;
        await _heartbeat.BeatAsync(cancellationToken).ConfigureAwait(false);
        _pull = Task.Run(() => _taker.RunAsync(_stopTaking.Token), CancellationToken.None);
        _maintenance = Task.Run(() => _maintenanceLoop.RunAsync(_stopTaking.Token, _stopAll.Token), CancellationToken.None);
        _log.LogInformation("Worker {Worker} serves {Queues} on {Instance} with {Concurrency} slots", Id, string.Join(",", _options.Queues), _connection.Name, _options.Concurrency);
    }

    /// <summary>
    /// Stops gracefully: no more jobs are taken; running ones get <see cref="RedisWorkerOptions.ShutdownTimeout"/>
    /// to finish, then are cancelled and handed back to their queue; outcomes are recorded; the worker leaves.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_stopLock)
        {
            _stopping ??= StopCoreAsync(cancellationToken);
            return _stopping;
        }
    }

    internal static string Sanitize(string s)
    {
        var chars = s.Where(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-').Take(40).ToArray();
        return chars.Length == 0 ? "host" : new string(chars);
    }

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        await _stopTaking.CancelAsync().ConfigureAwait(false);
        _taker.Wake();
        Signals.Set(_taker.SlotFreed);
        await _pull.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _execution.FinishOrHandBackAsync(_options.ShutdownTimeout, cancellationToken).ConfigureAwait(false);

        using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _sink.DrainAsync(drain.Token).ConfigureAwait(false);
        await _stopAll.CancelAsync().ConfigureAwait(false);
        await _maintenance.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _registration.LeaveAsync().ConfigureAwait(false);
        _connection.Multiplexer.ConnectionRestored -= OnRestored;
        _slots.Unregister(_taker.SlotFreed);
        _log.LogInformation("Worker {Worker} stopped on {Instance}", Id, _connection.Name);
    }

    private void OnRestored(object? sender, ConnectionFailedEventArgs e) => _taker.Wake();

    private void OnControl(string? message)
    {
        // "cancel <queue> <id>"
        if (message?.Split(' ') is ["cancel", var queue, var id])
        {
            _held.Cancel(queue, id);
        }
    }

    private void OnRecorded(Worker.Completion completion, string verdict)
    {
        if (verdict == "duplicate")
        {
            _tally.Duplicate();
            _log.LogWarning("Worker {Worker}: the outcome of job {Job} was rejected: the job had passed to another worker or ended (a duplicate run)", Id, completion.Job.Id);
            return;
        }

        if (verdict is "ok" or "already" && completion.Kind is "ok" or "fail" or "dead" or "cancel")
        {
            _ended?.Invoke(Ring.PendingIndex.Entry(completion.Job.Queue.Queue, completion.Job.Id));
        }

        if (verdict != "ok")
        {
            return;
        }

        if (completion.Kind == "retry")
        {
            // The retry sits in the schedule now: look again, to learn when it is due.
            _taker.Wake();
        }

        _tally.Recorded(completion.Kind);
    }
}
