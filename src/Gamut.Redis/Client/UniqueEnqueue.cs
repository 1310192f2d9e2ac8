namespace Gamut.Redis;

/// <summary>What a unique enqueue (<see cref="RedisExecutor.EnqueueUniqueAsync{TIn, TOut}(Gamut.Jobs.JobRef{TIn, TOut}, TIn, string, TimeSpan, Gamut.Executors.JobOptions?, CancellationToken)"/>) did.</summary>
/// <param name="Job">The job: the one created now, or the one that already held the key.</param>
/// <param name="Created">True when this call created the job; false when it returned the existing one.</param>
public readonly record struct UniqueEnqueue(JobHandle Job, bool Created);
