namespace Gamut.Redis;

/// <summary>
/// Redis is at its memory limit (<c>maxmemory</c> with <c>maxmemory-policy noeviction</c>) and refused a write
/// that would grow it. Nothing was written: a refused enqueue created no job, not even part of one. Workers still
/// drain the queues (their scripts free memory or keep it level), so retry later, or raise <c>maxmemory</c>.
/// </summary>
public sealed class RedisFullException : Exception
{
    /// <summary>Creates the error.</summary>
    /// <param name="operation">What was refused, e.g. "enqueue of job X on queue 'q'".</param>
    /// <param name="job">The job concerned, when there is one.</param>
    /// <param name="innerException">Redis' OOM error.</param>
    public RedisFullException(string operation, JobHandle? job, Exception? innerException)
        : base($"Redis refused the {operation}: it is at its maxmemory limit (noeviction). Nothing was written; retry once workers have drained some jobs, or raise maxmemory", innerException)
    {
        Operation = operation;
        Job = job;
    }

    /// <summary>What was refused.</summary>
    public string Operation { get; }

    /// <summary>The job concerned, when there is one.</summary>
    public JobHandle? Job { get; }
}
