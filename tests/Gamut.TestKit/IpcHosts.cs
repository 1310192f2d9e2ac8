using Gamut.Ipc;

namespace Gamut.TestKit;

/// <summary>
/// host-ipc-dispose KIND: disposes a cross-process object while this process still waits on it (or, for
/// "lease", still holds a lease of it), then makes the futex pump look at its waiters again. A mapping
/// unmapped too early kills the process (exit 134), which is why this runs here and not in the test host.
/// It prints "pending: TYPE" (how the pending wait ended), "after: ok" once the pump serves a fresh wait, and
/// exits 0.
/// </summary>
internal static class IpcHosts
{
    public static async Task<int> DisposeWhileWaiting(string kind)
    {
        var name = $"gamut-testkit-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            Task pending;
            Func<ValueTask>? afterDispose = null;
            IDisposable target;
            switch (kind)
            {
                case "event":
                {
                    var e = IpcEvent.Create(name);
                    pending = e.WaitAsync().AsTask();
                    target = e;
                    break;
                }

                case "queue":
                {
                    var q = IpcQueue<int>.Create(name, capacity: 4, maxItemBytes: 16);
                    pending = q.DequeueAsync().AsTask();
                    target = q;
                    break;
                }

                case "lock":
                case "lease":
                {
                    var l = IpcLock.Create(name);
                    var lease = (await l.TryAcquireAsync(TimeSpan.Zero))!;
                    if (kind == "lock")
                    {
                        // Ownership is per process: a second acquisition waits on the futex like another process would.
                        pending = l.TryAcquireAsync(Timeout.InfiniteTimeSpan).AsTask();
                    }
                    else
                    {
                        pending = Task.CompletedTask;
                    }

                    afterDispose = lease.DisposeAsync;
                    target = l;
                    break;
                }

                default:
                    Console.Error.WriteLine($"testkit: unknown ipc kind '{kind}'");
                    return 100;
            }

            // Let the pump take the wait into its futex set before the object goes away.
            await Task.Yield();
            target.Dispose();
            if (afterDispose is not null)
            {
                await afterDispose();
            }

            string outcome;
            try
            {
                await pending.WaitAsync(TimeSpan.FromSeconds(30));
                outcome = "completed";
            }
            catch (TimeoutException)
            {
                outcome = "still waiting";
            }
            catch (Exception e)
            {
                outcome = e.GetType().Name;
            }

            Report("pending", outcome);

            // A fresh wait makes the pump walk its waiter list again: a waiter on unmapped memory would fault here.
            using (var other = IpcEvent.Create(name + "-other"))
            {
                var wait = other.WaitAsync().AsTask();
                other.Set();
                await wait.WaitAsync(TimeSpan.FromSeconds(30));
            }

            Report("after", "ok");
            return 0;
        }
        finally
        {
            IpcObjects.Delete(name);
            IpcObjects.Delete(name + "-other");
        }
    }

    private static void Report(string key, string value)
    {
        Console.Out.WriteLine($"{key}: {value}");
        Console.Out.Flush();
    }
}
