using Gamut.Jobs;
using Gamut.Redis.Connection;
using Gamut.Redis.Scripts;
using StackExchange.Redis;

namespace Gamut.Redis.Worker.Engine;

/// <summary>Publishes a running job's progress, at most ten times a second (the latest report wins), fenced by its delivery.</summary>
internal sealed class ProgressPublisher(RedisConnection connection, string workerId, TakenJob job) : IProgress<JobProgress>, IDisposable
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
        _ = connection.Database.ScriptEvaluateAsync(
            LuaScripts.Progress, [q.Job(job.Id)], [job.Fence, workerId, json, q.Queue, job.Id], CommandFlags.FireAndForget);
    }

    public void Dispose() => _disposed = true;
}
