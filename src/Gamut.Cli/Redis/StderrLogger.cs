using Microsoft.Extensions.Logging;

namespace Gamut.Cli.Redis;

/// <summary>Log lines on stderr for the long-running Redis commands: <c>gamut worker: message</c>.</summary>
internal sealed class StderrLogger(string name, LogLevel minimum = LogLevel.Information) : ILogger
{
    private static readonly object Gate = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var level = logLevel switch
        {
            LogLevel.Warning => "warning: ",
            LogLevel.Error or LogLevel.Critical => "error: ",
            _ => "",
        };
        var line = $"{name}: {level}{formatter(state, exception)}{(exception is null ? "" : $" ({exception.GetType().Name}: {exception.Message})")}";
        lock (Gate)
        {
            Console.Error.WriteLine(line);
        }
    }
}
