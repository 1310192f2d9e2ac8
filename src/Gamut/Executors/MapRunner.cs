using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Gamut.Executors;

/// <summary>
/// The back-pressured map every executor can build on: pulls an input only when fewer than <c>window</c> jobs
/// are started and not yet consumed, and yields outcomes in input order or as they complete. When the consumer
/// stops early, the jobs still running are cancelled and awaited, so nothing outlives the enumeration.
/// </summary>
public static class MapRunner
{
    /// <summary>Runs the map.</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The output type.</typeparam>
    /// <param name="inputs">The inputs, pulled lazily.</param>
    /// <param name="start">Starts one job: input, its index, and a token cancelled when the map ends early.</param>
    /// <param name="window">The most jobs started and not yet consumed.</param>
    /// <param name="ordered">Yield in input order (true) or as completed (false).</param>
    /// <param name="cancellationToken">Cancels the map.</param>
    public static IAsyncEnumerable<JobOutcome<TIn, TOut>> RunAsync<TIn, TOut>(
        IAsyncEnumerable<TIn> inputs,
        Func<TIn, long, CancellationToken, Task<TOut>> start,
        int window,
        bool ordered,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(start);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        return ordered
            ? RunOrderedAsync(inputs, start, window, cancellationToken)
            : RunUnorderedAsync(inputs, start, window, cancellationToken);
    }

    private static async IAsyncEnumerable<JobOutcome<TIn, TOut>> RunOrderedAsync<TIn, TOut>(
        IAsyncEnumerable<TIn> inputs,
        Func<TIn, long, CancellationToken, Task<TOut>> start,
        int window,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pending = new Queue<(long Index, TIn Input, Task<TOut> Task)>();
        var source = new MapInputs<TIn>(null, inputs, stop.Token);
        try
        {
            while (true)
            {
                // A cancelled map stops pulling inputs and yielding at once (its running jobs are cancelled below).
                cancellationToken.ThrowIfCancellationRequested();
                while (!source.Exhausted && pending.Count < window)
                {
                    if (!await source.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }

                    var input = source.Current;
                    var at = source.Read - 1;
                    pending.Enqueue((at, input, StartSafely(start, input, at, stop.Token)));
                }

                if (pending.Count == 0)
                {
                    break;
                }

                var (index, item, task) = pending.Dequeue();
                yield return await ToOutcomeAsync(index, item, task).ConfigureAwait(false);
            }

            source.ThrowIfFailed();

            cancellationToken.ThrowIfCancellationRequested();
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (var (_, _, task) in pending)
            {
                await ((Task)task).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            await source.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async IAsyncEnumerable<JobOutcome<TIn, TOut>> RunUnorderedAsync<TIn, TOut>(
        IAsyncEnumerable<TIn> inputs,
        Func<TIn, long, CancellationToken, Task<TOut>> start,
        int window,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var done = Channel.CreateUnbounded<JobOutcome<TIn, TOut>>(new UnboundedChannelOptions { SingleReader = true });
        var running = new HashSet<Task>();
        var source = new MapInputs<TIn>(null, inputs, stop.Token);
        var outstanding = 0;
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                while (!source.Exhausted && outstanding < window)
                {
                    if (!await source.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }

                    var input = source.Current;
                    var index = source.Read - 1;
                    outstanding++;
                    var task = StartSafely(start, input, index, stop.Token);
                    var completion = task.ContinueWith(
                        static (t, state) =>
                        {
                            var (writer, index, input) = ((ChannelWriter<JobOutcome<TIn, TOut>>, long, TIn))state!;
                            writer.TryWrite(t.IsCompletedSuccessfully
                                ? new JobOutcome<TIn, TOut>(index, input, t.Result)
                                : new JobOutcome<TIn, TOut>(index, input, Unwrap(t)));
                        },
                        (done.Writer, index, input),
                        CancellationToken.None,
                        TaskContinuationOptions.ExecuteSynchronously,
                        TaskScheduler.Default);
                    lock (running)
                    {
                        running.Add(completion);
                    }

                    _ = completion.ContinueWith(static (t, s) => { lock (s!) { ((HashSet<Task>)s).Remove(t); } }, running, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                }

                if (outstanding == 0)
                {
                    break;
                }

                var outcome = await done.Reader.ReadAsync(CancellationToken.None).ConfigureAwait(false);
                outstanding--;
                yield return outcome;
            }

            source.ThrowIfFailed();

            cancellationToken.ThrowIfCancellationRequested();
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            Task[] left;
            lock (running)
            {
                left = [.. running];
            }

            await Task.WhenAll(left).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await source.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static Task<TOut> StartSafely<TIn, TOut>(Func<TIn, long, CancellationToken, Task<TOut>> start, TIn input, long index, CancellationToken token)
    {
        try
        {
            return start(input, index, token);
        }
        catch (Exception e)
        {
            return Task.FromException<TOut>(e);
        }
    }

    private static async ValueTask<JobOutcome<TIn, TOut>> ToOutcomeAsync<TIn, TOut>(long index, TIn input, Task<TOut> task)
    {
        try
        {
            return new JobOutcome<TIn, TOut>(index, input, await task.ConfigureAwait(false));
        }
        catch (Exception e)
        {
            return new JobOutcome<TIn, TOut>(index, input, e);
        }
    }

    private static Exception Unwrap(Task task) =>
        task.IsCanceled
            ? new TaskCanceledException(task)
            : task.Exception!.InnerExceptions.Count == 1 ? task.Exception.InnerException! : task.Exception;
}
