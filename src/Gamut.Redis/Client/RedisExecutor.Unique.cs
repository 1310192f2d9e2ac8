using Gamut.Executors;
using Gamut.Jobs;
using Gamut.Redis.Keys;
using StackExchange.Redis;

namespace Gamut.Redis;

/// <summary>Unique jobs: a key and a window within which a second enqueue with the same key returns the existing job.</summary>
public sealed partial class RedisExecutor
{
    /// <summary>The longest window of a unique job.</summary>
    public static readonly TimeSpan MaxUniqueWindow = TimeSpan.FromDays(30);

    /// <summary>
    /// Enqueues a job unless one with the same <paramref name="uniqueKey"/> was enqueued on the same queue within
    /// <paramref name="window"/> and still has its record: then nothing is created and that job is returned. The check
    /// and the creation are one script, so two producers racing on a key create one job.
    /// <code>
    /// var sent = await redis.EnqueueUniqueAsync(sendReport, customerId, "report:" + customerId, TimeSpan.FromMinutes(10));
    /// if (!sent.Created) Console.WriteLine($"already queued as {sent.Job.Id}");
    /// </code>
    /// </summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The output type.</typeparam>
    /// <param name="job">Which registered job.</param>
    /// <param name="input">Its input.</param>
    /// <param name="uniqueKey">The key: 1–200 of <c>A–Z a–z 0–9 . _ - : +</c>, per queue.</param>
    /// <param name="window">How long the key holds, from the enqueue that created the job (1 ms to 30 days).</param>
    /// <param name="options">Id, queue, delay, timeout, retries, as for <see cref="EnqueueAsync{TIn, TOut}"/>.</param>
    /// <param name="cancellationToken">Stops the enqueue (it may or may not have happened: retry with the same id and key).</param>
    /// <exception cref="ArgumentException">A malformed key, or a window out of range.</exception>
    /// <exception cref="NotSupportedException">On a ring of instances (a key is not routed to one instance).</exception>
    /// <exception cref="RedisUnavailableException">Redis did not confirm the enqueue: retry with the same id.</exception>
    public async Task<UniqueEnqueue> EnqueueUniqueAsync<TIn, TOut>(JobRef<TIn, TOut> job, TIn input, string uniqueKey, TimeSpan window, JobOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (uniqueKey is null || uniqueKey.Length is 0 or > 200 || !uniqueKey.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or ':' or '+'))
        {
            throw new ArgumentException($"The unique key '{uniqueKey}' is not 1-200 of A-Z a-z 0-9 . _ - : +", nameof(uniqueKey));
        }

        if (window < TimeSpan.FromMilliseconds(1) || window > MaxUniqueWindow)
        {
            throw new ArgumentOutOfRangeException(nameof(window), window, "A unique job's window is 1 ms to 30 days");
        }

        if (_deployment.Ring is not null)
        {
            throw new NotSupportedException("Unique jobs need one Redis for a key: they are not available on a ring of instances");
        }

        options ??= JobOptions.Default;
        options.Validate();
        ThrowIfClosed();
        var handle = new JobHandle(QueueOf(options), options.Id ?? JobIds.New());
        var keys = new QueueKeys(_deployment.Options.KeyPrefix, handle.Queue);
        var args = new List<RedisValue>(16);
        EnqueueArgs.Add(args, handle.Id, job.Name, Serialize(input), options, null,
            [("uq", uniqueKey), ("uw", Math.Max(1, (long)window.TotalMilliseconds))]);
        var (_, state, _) = (await SendManyAsync(keys, [new JobArgs(handle.Id, [.. args])], cancellationToken).ConfigureAwait(false))[0];
        return state.StartsWith('=')
            ? new UniqueEnqueue(new JobHandle(handle.Queue, state[1..]), Created: false)
            : new UniqueEnqueue(handle, Created: state == "created");
    }
}
