using Gamut.Coordination;
using Gamut.Ipc;
using Gamut.Jobs;
using Gamut.Pool;
using Gamut.Tests.Pool;

namespace Gamut.Tests.Ipc;

/// <summary>The cross-process primitives between this process and a real worker process.</summary>
public sealed class IpcAcrossProcessesTests : IAsyncLifetime
{
    private readonly string _name = $"gamut-test-{Environment.ProcessId}-{Guid.NewGuid():N}";
    private ProcessPool _pool = null!;

    public Task InitializeAsync()
    {
        _pool = PoolTest.Create(workers: 1);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _pool.DisposeAsync();
        IpcObjects.Delete(_name);
    }

    [Fact]
    public async Task A_lock_whose_holder_is_killed_is_released_to_the_next_waiter()
    {
        using var gate = IpcLock.Create(_name);
        var pid = await _pool.SubmitAsync(PoolTest.Pid, 0).WaitAsync(PoolTest.Guard);
        _ = _pool.SubmitAsync(JobRef.To<HoldLockJob, string, int>(), _name);
        await PoolTest.WaitUntilAsync(() => gate.HolderPid == pid, "the worker to hold the lock");
        Assert.Null(await gate.TryAcquireAsync(TimeSpan.FromMilliseconds(100)));

        PoolTest.Kill(pid);
        await using var lease = await gate.AcquireAsync(PoolTest.Guard);
        Assert.Equal(Environment.ProcessId, gate.HolderPid);
        Assert.True(lease.FencingToken >= 2);
    }

    [Fact]
    public async Task Items_put_in_one_process_are_taken_in_another_in_order_and_none_is_lost()
    {
        const int count = 20_000;
        using var queue = IpcQueue<byte[]>.Create(_name, capacity: 64, maxItemBytes: 100);
        var consumer = _pool.SubmitAsync(JobRef.To<ConsumeJob, QueueWork, long>(), new QueueWork(_name, count));
        for (var i = 0; i < count; i++)
        {
            var item = new byte[100];
            BitConverter.TryWriteBytes(item, i);
            await queue.EnqueueAsync(item);
        }

        Assert.Equal((long)count * (count - 1) / 2, await consumer.WaitAsync(PoolTest.Guard));
        Assert.Equal(0, queue.Count);

        var producer = _pool.SubmitAsync(JobRef.To<ProduceJob, QueueWork, int>(), new QueueWork(_name, count));
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(i, BitConverter.ToInt32(await queue.DequeueAsync().AsTask().WaitAsync(PoolTest.Guard)));
        }

        Assert.Equal(count, await producer.WaitAsync(PoolTest.Guard));
    }

    [Fact]
    public async Task A_shared_array_is_visible_across_processes_and_atomic_updates_add_up()
    {
        const int increments = 200_000;
        using var array = SharedArray<long>.Create(_name, 1000);
        var job = _pool.SubmitAsync(JobRef.To<ArrayJob, QueueWork, long>(), new QueueWork(_name, increments));
        for (var i = 0; i < increments; i++)
        {
            Interlocked.Increment(ref array[0]);
        }

        Assert.Equal(1000, await job.WaitAsync(PoolTest.Guard));
        Assert.Equal(2L * increments, array[0]);
        Assert.Equal(999L * 999, array[999]);
    }

    [Fact]
    public async Task An_event_set_in_one_process_releases_a_waiter_in_another()
    {
        using var e = IpcEvent.Create(_name);
        var waiter = _pool.SubmitAsync(JobRef.To<WaitEventJob, string, int>(), _name);
        await PoolTest.WaitUntilAsync(() => e.WaitingCount > 0, "the worker to wait on the event"); // so Set really wakes a sleeper
        Assert.False(waiter.IsCompleted);
        e.Set();
        Assert.Equal(1, await waiter.WaitAsync(PoolTest.Guard));
        e.Reset();
        Assert.False(e.IsSet);
        Assert.False(await e.WaitAsync(TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public async Task A_consumer_killed_while_waiting_takes_nothing_and_items_stay_for_the_next()
    {
        using var queue = IpcQueue<byte[]>.Create(_name, capacity: 16, maxItemBytes: 100);
        var pid = await _pool.SubmitAsync(PoolTest.Pid, 0).WaitAsync(PoolTest.Guard);
        var consumer = _pool.SubmitAsync(JobRef.To<ConsumeJob, QueueWork, long>(), new QueueWork(_name, 1000));
        await PoolTest.WaitUntilAsync(() => queue.WaitingConsumers > 0, "the worker to wait on the queue"); // killed while waiting, not before it ran
        PoolTest.Kill(pid);
        await Assert.ThrowsAsync<WorkerCrashedException>(() => consumer.WaitAsync(PoolTest.Guard));
        for (var i = 0; i < 10; i++)
        {
            Assert.True(queue.TryEnqueue(BitConverter.GetBytes(i)));
        }

        Assert.Equal(10, queue.Count);
        Assert.Equal(45, await _pool.SubmitAsync(JobRef.To<ConsumeJob, QueueWork, long>(), new QueueWork(_name, 10)).WaitAsync(PoolTest.Guard));
    }
}
