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
/// not hold a thousand blocked threads. Each of the <see cref="CommandBatchOptions.MaxConcurrency"/> slots is
/// a loop that takes the next command as soon as its previous one ends, so no hand-off sits between them.
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
        return Run(new SyncSource(commands), options ?? new CommandBatchOptions(), cancellationToken);
    }

    /// <summary>Runs <paramref name="commands"/>; see <see cref="CommandBatch"/>.</summary>
    /// <param name="commands">The commands, read lazily as slots free up.</param>
    /// <param name="options">Concurrency and order; the defaults when null.</param>
    /// <param name="cancellationToken">Stops every running command and the batch.</param>
    public static IAsyncEnumerable<CommandCompletion> RunAsync(
        IAsyncEnumerable<Command> commands, CommandBatchOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commands);
        return Run(new AsyncSource(commands), options ?? new CommandBatchOptions(), cancellationToken);
    }

    private static async IAsyncEnumerable<CommandCompletion> Run(
        Source source, CommandBatchOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Synchronous continuations: a finished command hands its completion straight to a waiting consumer.
        var completions = Channel.CreateUnbounded<CommandCompletion>(
            new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var window = options.Ordered ? new SemaphoreSlim(options.MaxConcurrency * 2) : null;
        var workers = new Task[options.MaxConcurrency];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = WorkAsync(source, completions.Writer, window, stop.Token);
        }

        // A failing input (its enumerator threw, or gave null) ends the batch with that error, after the rest stop.
        var all = Task.WhenAll(workers).ContinueWith(
            static (t, writer) => ((ChannelWriter<CommandCompletion>)writer!).TryComplete(t.Exception?.InnerException),
            completions.Writer,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        try
        {
            var waiting = options.Ordered ? new Dictionary<int, CommandCompletion>() : null;
            var next = 0;
            await foreach (var completion in completions.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (waiting is null)
                {
                    yield return completion;
                    continue;
                }

                waiting.Add(completion.Index, completion);
                while (waiting.Remove(next, out var ready))
                {
                    next++;
                    window!.Release();
                    yield return ready;
                }
            }
        }
        finally
        {
            // Early exit or cancellation: stop what runs and wait until it is gone.
            await stop.CancelAsync().ConfigureAwait(false);
            await all.ConfigureAwait(false);
            await source.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task WorkAsync(Source source, ChannelWriter<CommandCompletion> completions, SemaphoreSlim? window, CancellationToken cancellationToken)
    {
        await Task.Yield();
        while (!cancellationToken.IsCancellationRequested)
        {
            if (window is not null)
            {
                try
                {
                    await window.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            (bool Found, Command? Command, int Index) next;
            try
            {
                next = await source.NextAsync(cancellationToken).ConfigureAwait(false);
            }
            catch when (!cancellationToken.IsCancellationRequested)
            {
                await source.FailAsync().ConfigureAwait(false);
                throw;
            }

            var (found, command, index) = next;
            if (!found)
            {
                return;
            }

            completions.TryWrite(await RunOneAsync(command!, index, cancellationToken).ConfigureAwait(false));
        }
    }

    private static async Task<CommandCompletion> RunOneAsync(Command command, int index, CancellationToken cancellationToken)
    {
        try
        {
            var result = await command.RunAsync(cancellationToken).ConfigureAwait(false);
            return new CommandCompletion(index, command, result, null);
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
            return new CommandCompletion(index, command, result, e);
        }
    }

    /// <summary>The input, shared by the worker loops: each call takes the next command and its index.</summary>
    private abstract class Source : IAsyncDisposable
    {
        public abstract ValueTask<(bool Found, Command? Command, int Index)> NextAsync(CancellationToken cancellationToken);

        public abstract ValueTask DisposeAsync();

        /// <summary>The input failed: the other loops take nothing more.</summary>
        public abstract ValueTask FailAsync();
    }

    private sealed class SyncSource(IEnumerable<Command> commands) : Source
    {
        private readonly object _gate = new();
        private IEnumerator<Command>? _enumerator = commands.GetEnumerator();
        private int _index;

        public override ValueTask<(bool Found, Command? Command, int Index)> NextAsync(CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                if (_enumerator is null || cancellationToken.IsCancellationRequested || !_enumerator.MoveNext())
                {
                    return ValueTask.FromResult<(bool, Command?, int)>((false, null, -1));
                }

                return ValueTask.FromResult<(bool, Command?, int)>((true, _enumerator.Current ?? throw new ArgumentException($"Command {_index} is null."), _index++));
            }
        }

        public override ValueTask DisposeAsync()
        {
            lock (_gate)
            {
                _enumerator?.Dispose();
                _enumerator = null;
            }

            return ValueTask.CompletedTask;
        }

        public override ValueTask FailAsync() => DisposeAsync();
    }

    private sealed class AsyncSource(IAsyncEnumerable<Command> commands) : Source
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private readonly IAsyncEnumerator<Command> _enumerator = commands.GetAsyncEnumerator();
        private bool _done;
        private int _index;

        public override async ValueTask<(bool Found, Command? Command, int Index)> NextAsync(CancellationToken cancellationToken)
        {
            try
            {
                await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return (false, null, -1);
            }

            try
            {
                if (_done || !await _enumerator.MoveNextAsync().ConfigureAwait(false))
                {
                    _done = true;
                    return (false, null, -1);
                }

                return (true, _enumerator.Current ?? throw new ArgumentException($"Command {_index} is null."), _index++);
            }
            finally
            {
                _gate.Release();
            }
        }

        public override ValueTask FailAsync()
        {
            _done = true;
            return ValueTask.CompletedTask;
        }

        public override async ValueTask DisposeAsync()
        {
            await _gate.WaitAsync().ConfigureAwait(false);
            try
            {
                _done = true;
                await _enumerator.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                _gate.Release();
            }
        }
    }
}
