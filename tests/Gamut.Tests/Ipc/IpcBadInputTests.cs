using Gamut.Coordination;
using Gamut.Ipc;

namespace Gamut.Tests.Ipc;

/// <summary>RELIABILITY §5.2, cross-process primitives: bad names and mismatched layouts get typed errors.</summary>
public sealed class IpcBadInputTests : IDisposable
{
    private readonly string _name = $"gamut-test-{Environment.ProcessId}-{Guid.NewGuid():N}";

    public void Dispose() => IpcObjects.Delete(_name);

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("../etc")]
    [InlineData(".hidden")]
    [InlineData("white space")]
    public void A_bad_name_is_refused_with_the_reason(string name)
    {
        var error = Assert.Throws<InvalidIpcNameException>(() => IpcLock.Create(name));
        Assert.Equal(name, error.Name);
    }

    [Fact]
    public void A_name_that_is_too_long_is_refused() =>
        Assert.Contains("limit is 200", Assert.Throws<InvalidIpcNameException>(() => IpcQueue<string>.Create(new string('q', 201), 4)).Message, StringComparison.Ordinal);

    [Fact]
    public void Opening_a_name_that_does_not_exist_says_so()
    {
        Assert.Throws<IpcObjectNotFoundException>(() => IpcLock.Open(_name));
        Assert.Throws<IpcObjectNotFoundException>(() => IpcQueue<string>.Open(_name));
        Assert.Throws<IpcObjectNotFoundException>(() => SharedArray<int>.Open(_name));
        Assert.Throws<IpcObjectNotFoundException>(() => IpcEvent.Open(_name));
    }

    [Fact]
    public void Creating_a_name_twice_is_refused()
    {
        using var first = IpcLock.Create(_name);
        Assert.Throws<IpcObjectExistsException>(() => IpcLock.Create(_name));
        using var again = IpcLock.OpenOrCreate(_name);
    }

    [Fact]
    public void A_shared_array_opened_with_another_element_size_is_refused()
    {
        using var array = SharedArray<long>.Create(_name, 10);
        var error = Assert.Throws<IpcLayoutMismatchException>(() => SharedArray<int>.Open(_name));
        Assert.Contains("8-byte", error.Message, StringComparison.Ordinal);
        Assert.Contains("4-byte", error.Message, StringComparison.Ordinal);
        using var same = SharedArray<double>.Open(_name);
        Assert.Equal(10, same.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => same[10]);
    }

    [Fact]
    public void An_object_opened_as_another_kind_is_refused()
    {
        using var gate = IpcLock.Create(_name);
        Assert.Contains("is a lock, not a queue", Assert.Throws<IpcLayoutMismatchException>(() => IpcQueue<int>.Open(_name)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_queue_refuses_an_item_too_large_and_a_closed_queue_refuses_more()
    {
        using var queue = IpcQueue<string>.Create(_name, capacity: 2, maxItemBytes: 8);
        Assert.Throws<ArgumentException>(() => queue.TryEnqueue("far too long for eight bytes"));
        Assert.True(queue.TryEnqueue("a"));
        Assert.True(queue.TryEnqueue("b"));
        Assert.False(queue.TryEnqueue("c"));
        queue.Close();
        await Assert.ThrowsAsync<QueueClosedException>(() => queue.EnqueueAsync("d").AsTask());
        Assert.Equal("a", await queue.DequeueAsync());
        Assert.True(queue.TryDequeue(out var b));
        Assert.Equal("b", b);
        await Assert.ThrowsAsync<QueueClosedException>(() => queue.DequeueAsync().AsTask());
    }

    [Fact]
    public async Task A_blocked_consumer_wakes_when_an_item_arrives_and_a_wait_can_be_cancelled()
    {
        using var queue = IpcQueue<int>.Create(_name, capacity: 4);
        var take = queue.DequeueAsync().AsTask();
        await Task.Delay(50);
        Assert.False(take.IsCompleted);
        await queue.EnqueueAsync(42);
        Assert.Equal(42, await take.WaitAsync(TimeSpan.FromSeconds(30)));

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queue.DequeueAsync(cancel.Token).AsTask());
    }

    [Fact]
    public async Task A_lock_excludes_other_holders_in_the_same_process_and_its_tokens_grow()
    {
        using var gate = IpcLock.Create(_name);
        await using (var first = await gate.AcquireAsync())
        {
            Assert.Null(await gate.TryAcquireAsync(TimeSpan.FromMilliseconds(60)));
            var waiting = gate.AcquireAsync().AsTask();
            await first.DisposeAsync();
            await using var second = await waiting.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(second.FencingToken > first.FencingToken);
        }
    }
}
