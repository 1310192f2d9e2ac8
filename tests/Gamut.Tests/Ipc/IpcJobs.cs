using Gamut.Coordination;
using Gamut.Ipc;
using Gamut.Jobs;

namespace Gamut.Tests.Ipc;

// Jobs that use cross-process objects from inside a pool worker: the other process of each Ipc test.

/// <summary>Takes the named lock and holds it until its process dies.</summary>
[Job("ipc.hold-lock")]
public sealed class HoldLockJob : IJob<string, int>
{
    public async ValueTask<int> RunAsync(string input, JobContext context)
    {
        var gate = IpcLock.Open(input);
        _ = await gate.AcquireAsync();
        await Task.Delay(Timeout.Infinite, context.CancellationToken);
        return 0;
    }
}

public sealed record QueueWork(string Name, int Count);

/// <summary>Takes Count items from the named queue; returns the sum of their first bytes and the count.</summary>
[Job("ipc.consume")]
public sealed class ConsumeJob : IJob<QueueWork, long>
{
    public async ValueTask<long> RunAsync(QueueWork input, JobContext context)
    {
        using var queue = IpcQueue<byte[]>.Open(input.Name);
        long sum = 0;
        for (var i = 0; i < input.Count; i++)
        {
            var item = await queue.DequeueAsync(context.CancellationToken);
            sum += BitConverter.ToInt32(item);
        }

        return sum;
    }
}

/// <summary>Puts Count items (100 bytes each, starting with their number) on the named queue.</summary>
[Job("ipc.produce")]
public sealed class ProduceJob : IJob<QueueWork, int>
{
    public async ValueTask<int> RunAsync(QueueWork input, JobContext context)
    {
        using var queue = IpcQueue<byte[]>.Open(input.Name);
        for (var i = 0; i < input.Count; i++)
        {
            var item = new byte[100];
            BitConverter.TryWriteBytes(item, i);
            await queue.EnqueueAsync(item, context.CancellationToken);
        }

        return input.Count;
    }
}

/// <summary>Adds 1 to element 0 of the named shared array, Count times, atomically; and writes i*i into element i (i ≥ 1).</summary>
[Job("ipc.array")]
public sealed class ArrayJob : IJob<QueueWork, long>
{
    public ValueTask<long> RunAsync(QueueWork input, JobContext context)
    {
        using var array = SharedArray<long>.Open(input.Name);
        for (var i = 0; i < input.Count; i++)
        {
            Interlocked.Increment(ref array[0]);
        }

        for (long i = 1; i < array.Length; i++)
        {
            array[i] = i * i;
        }

        return ValueTask.FromResult(array.Length);
    }
}

/// <summary>Waits for the named event, then returns 1.</summary>
[Job("ipc.wait-event")]
public sealed class WaitEventJob : IJob<string, int>
{
    public async ValueTask<int> RunAsync(string input, JobContext context)
    {
        using var e = IpcEvent.Open(input);
        await e.WaitAsync(context.CancellationToken);
        return 1;
    }
}
