using System.Diagnostics.Metrics;
using Gamut.Jobs;
using Gamut.Redis.Connection;
using StackExchange.Redis;

namespace Gamut.Redis.Worker;

/// <summary>
/// The <c>gamut.redis.queue.depth</c> observable gauge: how many jobs each queue a Redis worker in this process serves
/// holds, by state (<c>ready</c>: waiting to be taken; <c>delayed</c>: waiting for their time or a retry;
/// <c>dead</c>: dead letters), summed over the instances of a ring. Reading depths costs Redis round trips, so they
/// are read only when a collector observes the gauge, at most one read at a time per worker (one pipelined round per
/// instance, bounded by the command timeout), and never per job. A collection reports the depths read for the collection
/// before it (the callback cannot wait for Redis): the first collection after a worker starts reports nothing for it.
/// </summary>
internal sealed class RedisQueueGauge
{
    public const string Name = "gamut.redis.queue.depth";

    private static readonly List<WeakReference<RedisQueueGauge>> Gauges = [];
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(5);

    private readonly Func<IReadOnlyList<RedisConnection>> _instances;
    private readonly IReadOnlyList<string> _queues;
    private volatile IReadOnlyList<Depth> _last = [];
    private int _reading;

    static RedisQueueGauge()
    {
        GamutTelemetry.Meter.CreateObservableGauge(Name, ObserveAll, "{job}", "Jobs in a Redis queue, by state (ready, delayed, dead), read when observed.");
    }

    private RedisQueueGauge(Func<IReadOnlyList<RedisConnection>> instances, IReadOnlyList<string> queues)
    {
        _instances = instances;
        _queues = queues;
    }

    /// <summary>Reports the depths of <paramref name="queues"/> on the instances <paramref name="instances"/> gives, until <see cref="Stop"/>.</summary>
    public static RedisQueueGauge Track(Func<IReadOnlyList<RedisConnection>> instances, IReadOnlyList<string> queues)
    {
        var gauge = new RedisQueueGauge(instances, queues);
        lock (Gauges)
        {
            Gauges.RemoveAll(static w => !w.TryGetTarget(out _));
            Gauges.Add(new WeakReference<RedisQueueGauge>(gauge));
        }

        return gauge;
    }

    /// <summary>Stops reporting (the worker stopped).</summary>
    public void Stop()
    {
        lock (Gauges)
        {
            Gauges.RemoveAll(w => !w.TryGetTarget(out var g) || ReferenceEquals(g, this));
        }
    }

    private static IEnumerable<Measurement<long>> ObserveAll()
    {
        List<RedisQueueGauge> gauges = [];
        lock (Gauges)
        {
            foreach (var weak in Gauges)
            {
                if (weak.TryGetTarget(out var gauge))
                {
                    gauges.Add(gauge);
                }
            }
        }

        // Two workers of this process on the same queue and instance read the same list: count it once; a ring's
        // instances each hold a part of the queue: add them up.
        Dictionary<(string Instance, string Queue, string State), long> seen = [];
        foreach (var gauge in gauges)
        {
            foreach (var depth in gauge.Observe())
            {
                seen[(depth.Instance, depth.Queue, depth.State)] = depth.Jobs;
            }
        }

        Dictionary<(string Queue, string State), long> total = [];
        foreach (var ((_, queue, state), jobs) in seen)
        {
            total[(queue, state)] = total.GetValueOrDefault((queue, state)) + jobs;
        }

        List<Measurement<long>> measurements = new(total.Count);
        foreach (var ((queue, state), jobs) in total)
        {
            measurements.Add(new Measurement<long>(
                jobs,
                new KeyValuePair<string, object?>(GamutTelemetry.ExecutorTag, "redis"),
                new KeyValuePair<string, object?>(GamutTelemetry.MessagingDestinationTag, queue),
                new KeyValuePair<string, object?>("gamut.queue.state", state)));
        }

        return measurements;
    }

    /// <summary>The depths read last, and a new read started unless one is under way.</summary>
    private IReadOnlyList<Depth> Observe()
    {
        if (Interlocked.CompareExchange(ref _reading, 1, 0) == 0)
        {
            _ = ReadAsync();
        }

        return _last;
    }

    private async Task ReadAsync()
    {
        try
        {
            List<Depth> depths = [];
            foreach (var instance in _instances())
            {
                await ReadInstanceAsync(instance, depths).ConfigureAwait(false);
            }

            _last = depths;
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
        }
    }

    private async Task ReadInstanceAsync(RedisConnection instance, List<Depth> depths)
    {
        // One pipelined round for every queue of the instance; an instance that does not answer in time is left out
        // of this reading rather than holding up the others.
        var reads = new List<(string Queue, Task<long> Ready, Task<long> Delayed, Task<long> Dead)>(_queues.Count);
        foreach (var queue in _queues)
        {
            var q = instance.Queue(queue);
            reads.Add((queue, instance.Database.ListLengthAsync(q.Ready), instance.Database.SortedSetLengthAsync(q.Delayed), instance.Database.ListLengthAsync(q.Dead)));
        }

        try
        {
            await Task.WhenAll(reads.SelectMany(r => new[] { r.Ready, r.Delayed, r.Dead })).WaitAsync(ReadTimeout).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            return;
        }

        var name = instance.Name;
        foreach (var (queue, ready, delayed, dead) in reads)
        {
            // All three have completed (WhenAll above): no wait here.
            depths.Add(new Depth(name, queue, "ready", await ready.ConfigureAwait(false)));
            depths.Add(new Depth(name, queue, "delayed", await delayed.ConfigureAwait(false)));
            depths.Add(new Depth(name, queue, "dead", await dead.ConfigureAwait(false)));
        }
    }

    private readonly record struct Depth(string Instance, string Queue, string State, long Jobs);
}
