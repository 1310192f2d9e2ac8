using System.Runtime.CompilerServices;
using Gamut.Executors;

namespace Gamut.Loop;

/// <summary>One callback waiting in the loop's queue: a delegate of one of a few shapes, and its state. No allocation.</summary>
internal readonly struct LoopWork
{
    public LoopWork(object callback, object? state)
    {
        Callback = callback;
        State = state;
    }

    /// <summary>An <see cref="Action"/>, an <see cref="Action{T}"/> of object, a <see cref="SendOrPostCallback"/>, or an <see cref="ExecutorRun"/>.</summary>
    public object Callback { get; }

    public object? State { get; }

    public void Invoke()
    {
        switch (Callback)
        {
            case Action action:
                action();
                break;
            case Action<object?> withState:
                withState(State);
                break;
            case SendOrPostCallback posted:
                posted(State);
                break;
            case ExecutorRun run:
                EventLoop.RunJob(run);
                break;
            default:
                throw new InvalidOperationException($"Unknown loop work {Callback.GetType()}");
        }
    }

    /// <summary>A name for what this work runs, for the watchdog: a method, an async method, or a job.</summary>
    public string Describe() => Describe(Callback, State);

    internal static string Describe(object callback, object? state)
    {
        if (callback is ExecutorRun run)
        {
            return $"job '{run.JobName}' ({run.JobId})";
        }

        // An await continuation is posted as (a runtime callback, the continuation): name the continuation.
        var target = callback is SendOrPostCallback && state is Delegate continuation ? continuation : callback as Delegate;
        if (target is null)
        {
            return callback.ToString() ?? "?";
        }

        var stateMachine = target.Target?.GetType();
        if (stateMachine is { IsGenericType: true } && stateMachine.GetGenericArguments() is [.., var last] && typeof(IAsyncStateMachine).IsAssignableFrom(last))
        {
            return AsyncMethodName(last);
        }

        return $"{target.Method.DeclaringType?.FullName}.{target.Method.Name}";
    }

    internal static string AsyncMethodName(Type stateMachine)
    {
        // The compiler names a state machine "<MethodName>d__N", nested in the method's type.
        var name = stateMachine.Name;
        var end = name.IndexOf('>', StringComparison.Ordinal);
        var method = name.StartsWith('<') && end > 1 ? name[1..end] : name;
        return $"{stateMachine.DeclaringType?.FullName}.{method} (async)";
    }
}
