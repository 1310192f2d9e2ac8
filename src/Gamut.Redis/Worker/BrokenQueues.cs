using Microsoft.Extensions.Logging;

namespace Gamut.Redis.Worker;

/// <summary>
/// The queues of one instance that a worker skips because one of their keys has the wrong type (another client, an
/// operator or an older version wrote it). Each is warned about once when it breaks (naming the key, its type and
/// the type expected) and once when it works again; the worker keeps trying it at its normal pace.
/// </summary>
internal sealed class BrokenQueues(ILogger log, string worker, string instance)
{
    private readonly Dictionary<string, string> _broken = new(StringComparer.Ordinal);

    /// <summary>The queues skipped now, each with the error that broke it.</summary>
    public IReadOnlyDictionary<string, string> Current
    {
        get
        {
            lock (_broken)
            {
                return new Dictionary<string, string>(_broken, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>Records that <paramref name="queue"/> failed on a key of the wrong type; warns when this is news.</summary>
    public void Broken(string queue, RedisKeyTypeException error)
    {
        lock (_broken)
        {
            if (_broken.TryGetValue(queue, out var key) && key == error.Key)
            {
                return;
            }

            _broken[queue] = error.Key;
        }

        log.LogWarning(
            "Worker {Worker}: skipping queue {Queue} on {Instance}: the key {Key} holds a {Actual}, expected a {Expected}; the other queues are served, and this one again once the key is fixed or deleted",
            worker, queue, instance, error.Key, error.ActualType, error.ExpectedType);
    }

    /// <summary>Records that <paramref name="queue"/> works (again).</summary>
    public void Healed(string queue)
    {
        lock (_broken)
        {
            if (_broken.Count == 0 || !_broken.Remove(queue))
            {
                return;
            }
        }

        log.LogInformation("Worker {Worker}: queue {Queue} on {Instance} works again; serving it", worker, queue, instance);
    }
}
