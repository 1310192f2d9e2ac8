using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Gamut.Processes;

/// <summary>
/// Runs many commands, a bounded number at once, and yields each one's completion as it finishes (or in
/// input order). A failing command is a completion with an <see cref="CommandCompletion.Error"/>, never the
/// end of the batch. Cancelling, or leaving the enumeration early, stops every running command and waits
/// for their process groups to be gone.
/// </summary>
/// <remarks>
/// The commands' pipes and exits are served by Gamut's one reactor thread: a thousand commands in flight do
/// not hold a thousand blocked threads.
/// </remarks>
public static class CommandBatch
{
    /// <summary>Runs <paramref name="commands"/>; see <see cref="CommandBatch"/>.</summary>
    /// <param name="commands">The commands, read lazily as slots free up.</param>
    /// <param name="options">Concurrency and order; the defaults when null.</param>
    /// <param name="cancellationToken">Stops every running command and the batch.</param>
    public static IAsyncEnumerable<CommandCompletion> RunAsync(
        IEnumerable<Command> commands, CommandBatchOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commands);
        return RunAsync(ToAsync(commands), options, cancellationToken);
    }

    /// <summary>Runs <paramref name="commands"/>; see <see cref="CommandBatch"/>.</summary>
    /// <param name="commands">The commands, read lazily as slots free up.</param>
    /// <param name="options">Concurrency and order; the defaults when null.</param>
    /// <param name="cancellationToken">Stops every running command and the batch.</param>
    public static IAsyncEnumerable<CommandCompletion> RunAsync(
        IAsyncEnumerable<Command> commands, CommandBatchOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commands);
        return Run(commands, options ?? new CommandBatchOptions(), cancellationToken);
    }

    private static async IAsyncEnumerable<CommandCompletion> Run(
        IAsyncEnumerable<Command> commands, CommandBatchOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var completions = Channel.CreateUnbounded<CommandCompletion>(new UnboundedChannelOptions { SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var slots = new SemaphoreSlim(options.MaxConcurrency);
        using var window = options.Ordered ? new SemaphoreSlim(options.MaxConcurrency * 2) : null;
        var producer = ProduceAsync(commands, completions.Writer, slots, window, stop.Token);
        try
        {
            if (!options.Ordered)
            {
                await foreach (var completion in completions.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    yield return completion;
                }
            }
            else
            {
                var waiting = new Dictionary<int, CommandCompletion>();
                var next = 0;
                await foreach (var completion in completions.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    waiting.Add(completion.Index, completion);
                    while (waiting.Remove(next, out var ready))
                    {
                        next++;
                        window!.Release();
                        yield return ready;
                    }
                }
            }

            await producer.ConfigureAwait(false);
        }
        finally
        {
            // Early exit or cancellation: stop what runs and wait until it is gone.
            await stop.CancelAsync().ConfigureAwait(false);
            await producer.ConfigureAwait(false);
        }
    }

    private static async Task ProduceAsync(
        IAsyncEnumerable<Command> commands,
        ChannelWriter<CommandCompletion> completions,
        SemaphoreSlim slots,
        SemaphoreSlim? window,
        CancellationToken cancellationToken)
    {
        var running = 1; // the producer itself, so the channel completes after the last command and the end of input
        var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Done()
        {
            if (Interlocked.Decrement(ref running) == 0)
            {
                completions.TryComplete();
                allDone.TrySetResult();
            }
        }

        try
        {
            var index = 0;
            await foreach (var command in commands.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                ArgumentNullException.ThrowIfNull(command);
                if (window is not null)
                {
                    await window.WaitAsync(cancellationToken).ConfigureAwait(false);
                }

                await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref running);
                _ = RunOneAsync(command, index++, completions, slots, cancellationToken).ContinueWith(
                    static (_, done) => ((Action)done!)(), (Action)Done, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            Done();
        }

        await allDone.Task.ConfigureAwait(false);
    }

    private static async Task RunOneAsync(Command command, int index, ChannelWriter<CommandCompletion> completions, SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        CommandCompletion completion;
        try
        {
            var result = await command.RunAsync(cancellationToken).ConfigureAwait(false);
            completion = new CommandCompletion(index, command, result, null);
        }
        catch (Exception e)
        {
            var result = e switch
            {
                CommandExitException x => x.Result,
                CommandTimeoutException t => t.Result,
                OutputLimitExceededException o => o.Result,
                CommandInputException i => i.Result,
                _ => null,
            };
            completion = new CommandCompletion(index, command, result, e);
        }
        finally
        {
            slots.Release();
        }

        completions.TryWrite(completion);
    }

    private static async IAsyncEnumerable<Command> ToAsync(IEnumerable<Command> commands)
    {
        foreach (var command in commands)
        {
            yield return command;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }
}
