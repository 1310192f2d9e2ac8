using System.Net;
using System.Net.Sockets;
using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Loop;

namespace Gamut.Tests.Loop;

public sealed class EventLoopTests
{
    internal static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Every_posted_callback_runs_on_the_loop_thread_in_the_order_posted()
    {
        await using var loop = new EventLoop();
        var seen = new List<(int Value, int Thread)>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        for (var i = 0; i < 1000; i++)
        {
            var value = i;
            loop.Post(() => seen.Add((value, Environment.CurrentManagedThreadId)));
        }

        loop.Post(done.SetResult);
        await done.Task.WaitAsync(HangGuard);

        Assert.Equal(Enumerable.Range(0, 1000), seen.Select(s => s.Value));
        Assert.All(seen, s => Assert.Equal(loop.ThreadId, s.Thread));
        Assert.NotEqual(Environment.CurrentManagedThreadId, loop.ThreadId);
    }

    [Fact]
    public async Task Every_continuation_of_an_async_job_resumes_on_the_loop_thread()
    {
        await using var loop = new EventLoop();
        await using var threads = Gamut.Executors.Executors.Threads(2);

        var threadsSeen = await loop.SubmitAsync(async ctx =>
        {
            var seen = new List<int> { Environment.CurrentManagedThreadId };
            await Task.Delay(5, ctx.CancellationToken);
            seen.Add(Environment.CurrentManagedThreadId);
            await Task.Yield();
            seen.Add(Environment.CurrentManagedThreadId);
            var elsewhere = await threads.SubmitAsync(() => Environment.CurrentManagedThreadId);
            seen.Add(Environment.CurrentManagedThreadId);
            await Task.Run(() => Thread.Sleep(1));
            seen.Add(Environment.CurrentManagedThreadId);
            await loop.Delay(TimeSpan.FromMilliseconds(2));
            seen.Add(Environment.CurrentManagedThreadId);
            Assert.NotEqual(loop.ThreadId, elsewhere);
            Assert.Same(loop, EventLoop.Current);
            return seen;
        }).WaitAsync(HangGuard);

        Assert.Equal(6, threadsSeen.Count);
        Assert.All(threadsSeen, id => Assert.Equal(loop.ThreadId, id));
    }

    [Fact]
    public async Task Jobs_on_the_loop_interleave_at_their_awaits_and_never_run_at_once()
    {
        await using var loop = new EventLoop();
        var inside = 0;
        var maxInside = 0;
        var log = new List<string>();

        // Submitted from the loop itself, so all three are queued before the first runs.
        var jobs = await loop.SubmitAsync(_ => ValueTask.FromResult(Enumerable.Range(0, 3).Select(i => loop.SubmitAsync(async _ =>
        {
            for (var step = 0; step < 3; step++)
            {
                maxInside = Math.Max(maxInside, ++inside);
                log.Add($"{i}.{step}");
                inside--;
                await Task.Yield();
            }

            return i;
        })).ToList()));
        await Task.WhenAll(jobs).WaitAsync(HangGuard);

        Assert.Equal(1, maxInside);
        Assert.Equal(["0.0", "1.0", "2.0", "0.1", "1.1", "2.1", "0.2", "1.2", "2.2"], log);
    }

    [Fact]
    public async Task A_callback_that_throws_is_reported_and_the_loop_goes_on()
    {
        await using var loop = new EventLoop();
        var failed = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.CallbackFailed += (_, e) => failed.TrySetResult(e.Exception);

        loop.Post(() => throw new InvalidDataException("bad callback"));

        Assert.IsType<InvalidDataException>(await failed.Task.WaitAsync(HangGuard));
        Assert.Equal(3, await loop.SubmitAsync(() => 3).WaitAsync(HangGuard));
    }

    [Fact]
    public async Task A_handler_that_blocks_the_loop_is_reported_by_name_without_overstating_how_long()
    {
        await using var loop = new EventLoop(new EventLoopOptions { BlockedThreshold = TimeSpan.FromMilliseconds(40) });
        var blocker = new Blocker();
        var reports = new TaskCompletionSource<(LoopBlockedEventArgs Report, TimeSpan Actual)>(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Blocked += (_, e) => blocker.Reported(e, reports);

        loop.Post(blocker.BlockTheLoopUntilReported);

        var (report, actual) = await reports.Task.WaitAsync(HangGuard);
        Assert.Contains(nameof(Blocker.BlockTheLoopUntilReported), report.Handler);

        // BlockedFor is a lower bound of the time the handler had been running when it was seen: never more.
        Assert.InRange(report.BlockedFor, TimeSpan.FromTicks(1), actual);
    }

    [Fact]
    public async Task A_job_that_blocks_the_loop_is_reported_with_its_name()
    {
        await using var loop = new EventLoop(new EventLoopOptions { BlockedThreshold = TimeSpan.FromMilliseconds(40) });
        var blocker = new Blocker();
        var reports = new TaskCompletionSource<(LoopBlockedEventArgs Report, TimeSpan Actual)>(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Blocked += (_, e) => blocker.Reported(e, reports);

        await loop.SubmitAsync(() =>
        {
            blocker.BlockTheLoopUntilReported();
            return 0;
        }, new JobOptions { Id = "blocker-1" }).WaitAsync(HangGuard);

        Assert.Contains("blocker-1", (await reports.Task.WaitAsync(HangGuard)).Report.Handler);
    }

    [Fact]
    public async Task Awaiting_a_dotnet_socket_inside_a_loop_job_resumes_on_the_loop()
    {
        await using var loop = new EventLoop();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serve = Task.Run(async () =>
        {
            using var peer = await listener.AcceptTcpClientAsync();
            var stream = peer.GetStream();
            var buffer = new byte[5];
            await stream.ReadExactlyAsync(buffer);
            await stream.WriteAsync(buffer);
        });

        var threadsSeen = await loop.SubmitAsync(async ctx =>
        {
            var seen = new List<int>();
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, port, ctx.CancellationToken);
            seen.Add(Environment.CurrentManagedThreadId);
            await socket.SendAsync("hello"u8.ToArray(), ctx.CancellationToken);
            seen.Add(Environment.CurrentManagedThreadId);
            var buffer = new byte[5];
            var got = 0;
            while (got < 5)
            {
                got += await socket.ReceiveAsync(buffer.AsMemory(got), ctx.CancellationToken);
                seen.Add(Environment.CurrentManagedThreadId);
            }

            Assert.Equal("hello"u8.ToArray(), buffer);
            return seen;
        }).WaitAsync(HangGuard);
        await serve.WaitAsync(HangGuard);

        Assert.All(threadsSeen, id => Assert.Equal(loop.ThreadId, id));
    }

    [Fact]
    public async Task A_loop_stops_after_its_jobs_and_refuses_new_posts()
    {
        var loop = new EventLoop();
        var job = loop.SubmitAsync(async _ =>
        {
            await loop.Delay(TimeSpan.FromMilliseconds(20));
            return "done";
        });

        await loop.ShutdownAsync(ShutdownMode.Drain).WaitAsync(HangGuard);

        Assert.Equal("done", await job);
        await loop.Completion.WaitAsync(HangGuard);
        Assert.Throws<ExecutorClosedException>(() => loop.Post(() => { }));
    }

    [Fact]
    public async Task Shutting_the_loop_down_from_a_callback_on_it_does_not_deadlock()
    {
        var loop = new EventLoop();
        loop.Post(() => _ = loop.DisposeAsync());
        await loop.Completion.WaitAsync(HangGuard);
        Assert.True(loop.IsShutdown);
    }

    [Fact]
    public async Task Code_that_must_run_on_the_loop_says_so_when_it_does_not()
    {
        await using var loop = new EventLoop();
        Assert.Throws<InvalidOperationException>(loop.VerifyAccess);
        await loop.SubmitAsync(() =>
        {
            loop.VerifyAccess();
            return true;
        });
    }

    /// <summary>Blocks the loop thread until the watchdog has reported it (an event, not a guess at how long is enough).</summary>
    private sealed class Blocker
    {
        private readonly ManualResetEventSlim _reported = new();
        private long _startedAt;

        public void BlockTheLoopUntilReported()
        {
            Volatile.Write(ref _startedAt, System.Diagnostics.Stopwatch.GetTimestamp());
            _reported.Wait(HangGuard);
        }

        public void Reported(LoopBlockedEventArgs e, TaskCompletionSource<(LoopBlockedEventArgs, TimeSpan)> reports)
        {
            reports.TrySetResult((e, System.Diagnostics.Stopwatch.GetElapsedTime(Volatile.Read(ref _startedAt))));
            _reported.Set();
        }
    }
}
