using StackExchange.Redis;

namespace Gamut.Redis.Client.Engine;

/// <summary>One job's part of the enqueue script's arguments (<see cref="EnqueueArgs.Add"/>), with its id.</summary>
internal readonly record struct JobArgs(string Id, RedisValue[] Args);
