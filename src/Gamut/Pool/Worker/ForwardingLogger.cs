using Gamut.Pool.Protocol;
using Microsoft.Extensions.Logging;

namespace Gamut.Pool.Worker;

/// <summary>The logger jobs get in a worker: each message goes to the pool as a frame and is logged there.</summary>
internal sealed class ForwardingLogger(Action<LogLevel, string> send) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        var message = formatter(state, exception);
        if (exception is not null)
        {
            message = $"{message}{Environment.NewLine}{exception}";
        }

        send(logLevel, message);
    }

    /// <summary>Encodes one log frame.</summary>
    public static void Write(FrameWriter w, LogLevel level, string message)
    {
        w.BeginFrame(FrameType.Log);
        w.U8((byte)level);
        w.String(message);
        w.EndFrame();
    }
}
