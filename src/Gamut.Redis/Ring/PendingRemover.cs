using System.Threading.Channels;
using Gamut.Redis.Connection;
using Microsoft.Extensions.Logging;

namespace Gamut.Redis.Ring;

/// <summary>
/// Removes the pending-index entries of jobs whose end one ring member acknowledged, in batches (whatever piled up
/// while the previous removal was in flight), off the worker's recording path.
/// </summary>
internal sealed class PendingRemover
{
    private readonly Channel<string> _entries = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly RedisRing _ring;
    private readonly string _member;
    private readonly Task _loop;

    public PendingRemover(RedisRing ring, string member)
    {
        _ring = ring;
        _member = member;
        _loop = Task.Run(LoopAsync);
    }

    public void Add(string entry) => _entries.Writer.TryWrite(entry);

    /// <summary>Removes what is queued, then stops.</summary>
    public async Task DrainAsync()
    {
        _entries.Writer.TryComplete();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task LoopAsync()
    {
        var reader = _entries.Reader;
        var batch = new List<string>(256);
        while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < 1000 && reader.TryRead(out var entry))
            {
                batch.Add(entry);
            }

            try
            {
                await _ring.Pending.RemoveAsync(_member, batch, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (RedisFailures.IsTransient(e) || e is StackExchange.Redis.RedisException)
            {
                // Left in the index: the prune pass removes them while the member answers.
                _ring.Logger.LogDebug(e, "Could not remove {Count} ended jobs of {Member} from the pending index", batch.Count, _member);
            }
        }
    }
}
