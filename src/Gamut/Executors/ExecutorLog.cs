using Microsoft.Extensions.Logging;

namespace Gamut.Executors;

/// <summary>The executors' log messages (source-generated: nothing is formatted unless the level is enabled).</summary>
internal static partial class ExecutorLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "Job '{JobName}' ({JobId}) on the {Executor} executor ended: {Outcome}")]
    public static partial void JobFailed(ILogger logger, string jobName, string jobId, string executor, string outcome, Exception error);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "The {Executor} executor shut down ({Mode})")]
    public static partial void ShutDown(ILogger logger, string executor, ShutdownMode mode);
}
