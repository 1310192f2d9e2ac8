using Gamut.Redis.Connection;

namespace Gamut.Redis.Client.Engine;

/// <summary>What an enqueue did with one job: <c>created</c> (or the state of the job that had its id), and on which instance.</summary>
internal readonly record struct Routed(string Id, string State, RedisConnection Where);
