using StackExchange.Redis;

namespace Gamut.Redis.Connection;

/// <summary>What a failed command tells about whether Redis ran it.</summary>
internal static class RedisFailures
{
    /// <summary>
    /// The command certainly never reached the server (no connection to send it on, or it was still waiting to be
    /// sent): it may go to another instance. Any other failure of a sent command is indeterminate.
    /// </summary>
    public static bool NotSent(Exception e) => e switch
    {
        RedisConnectionException c => c.FailureType == ConnectionFailureType.UnableToResolvePhysicalConnection
            || c.CommandStatus is CommandStatus.WaitingToBeSent or CommandStatus.WaitingInBacklog,
        RedisTimeoutException t => t.Commandstatus is CommandStatus.WaitingToBeSent or CommandStatus.WaitingInBacklog,
        _ => false,
    };

    /// <summary>A failure of the link (dropped, refused, timed out), not an error Redis replied with.</summary>
    public static bool IsTransient(Exception e) => e is RedisConnectionException or RedisTimeoutException or TimeoutException;
}
