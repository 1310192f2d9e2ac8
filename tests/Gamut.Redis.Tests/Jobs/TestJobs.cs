using Gamut.Jobs;

namespace Gamut.Redis.Tests.Jobs;

[Job("test.square")]
public sealed class SquareJob : IJob<int, int>
{
    public ValueTask<int> RunAsync(int input, JobContext context) => ValueTask.FromResult(input * input);
}

[Job("test.echo")]
public sealed class EchoJob : IJob<string, string>
{
    public ValueTask<string> RunAsync(string input, JobContext context) => ValueTask.FromResult(input);
}

[Job("test.fail")]
public sealed class FailJob : IJob<string, int>
{
    public ValueTask<int> RunAsync(string input, JobContext context) => throw new InvalidOperationException(input);
}

/// <summary>Fails until its attempt reaches the input, then returns the attempt.</summary>
[Job("test.flaky")]
public sealed class FlakyJob : IJob<int, int>
{
    public ValueTask<int> RunAsync(int input, JobContext context) =>
        context.Attempt < input ? throw new InvalidOperationException($"attempt {context.Attempt}") : ValueTask.FromResult(context.Attempt);
}

/// <summary>Sleeps for the input in milliseconds, honouring cancellation.</summary>
[Job("test.sleep")]
public sealed class SleepJob : IJob<int, int>
{
    public async ValueTask<int> RunAsync(int input, JobContext context)
    {
        await Task.Delay(input, context.CancellationToken);
        return input;
    }
}

/// <summary>
/// Runs until the file named by its input exists (a gate the test opens), honouring cancellation, and returns 1: a
/// job whose end the test decides, so no test races a job's duration.
/// </summary>
[Job("test.gate")]
public sealed class GateJob : IJob<string, int>
{
    public async ValueTask<int> RunAsync(string input, JobContext context)
    {
        // Watch first, then look: a gate opened in between is seen by the look, one opened after by the watcher.
        var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var watcher = new FileSystemWatcher(Path.GetDirectoryName(input)!, Path.GetFileName(input));
        watcher.Created += (_, _) => opened.TrySetResult();
        watcher.EnableRaisingEvents = true;
        if (!File.Exists(input))
        {
            await opened.Task.WaitAsync(context.CancellationToken);
        }

        return 1;
    }
}

/// <summary>Reports progress in steps, then returns.</summary>
[Job("test.progress")]
public sealed class ProgressJob : IJob<int, int>
{
    public async ValueTask<int> RunAsync(int steps, JobContext context)
    {
        for (var i = 1; i <= steps; i++)
        {
            context.ReportProgress((double)i / steps, $"step {i}");
            await Task.Delay(150, context.CancellationToken);
        }

        return steps;
    }
}

public sealed record TextInput(string Text);

/// <summary>Takes an object: a <c>$type</c> field in its payload must stay plain data.</summary>
[Job("test.text")]
public sealed class TextJob : IJob<TextInput, string>
{
    public ValueTask<string> RunAsync(TextInput input, JobContext context) => ValueTask.FromResult(input.Text);
}

/// <summary>Ends its process: only survivable when jobs run process-isolated.</summary>
[Job("test.crash")]
public sealed class CrashJob : IJob<int, int>
{
    public ValueTask<int> RunAsync(int input, JobContext context)
    {
        Environment.Exit(input);
        return ValueTask.FromResult(0);
    }
}

/// <summary>Blocks its thread for the input in ms and ignores cancellation: a job that cannot be stopped in-process.</summary>
[Job("test.stubborn")]
public sealed class StubbornJob : IJob<int, int>
{
    public ValueTask<int> RunAsync(int input, JobContext context)
    {
        Thread.Sleep(input);
        return ValueTask.FromResult(input);
    }
}
