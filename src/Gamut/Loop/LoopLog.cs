using Microsoft.Extensions.Logging;

namespace Gamut.Loop;

/// <summary>The loop's log messages (source-generated: nothing is formatted unless the level is enabled).</summary>
internal static partial class LoopLog
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "{Handler} has blocked the event loop for {BlockedMs:0} ms (threshold {ThresholdMs:0} ms); move blocking work off the loop")]
    public static partial void Blocked(ILogger logger, string handler, double blockedMs, double thresholdMs);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "A callback on the event loop threw; the loop goes on")]
    public static partial void CallbackFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "An event handler of the event loop threw")]
    public static partial void HandlerFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Critical, Message = "The event loop's own machinery failed; the loop has stopped")]
    public static partial void LoopFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Debug, Message = "A connection on the event loop closed with an error")]
    public static partial void ConnectionFailed(ILogger logger, Exception error);
}
