using System.Runtime.InteropServices;
using Gamut.Jobs;

namespace Gamut.Tests.Pool;

// Jobs the pool tests run in real worker processes. The test assembly is the "user assembly": workers load it
// through the test host's deps.json, exactly as they would load an application's.

[Job("pool.square")]
public sealed class SquareJob : IJob<int, int>
{
    public ValueTask<int> RunAsync(int input, JobContext context) => ValueTask.FromResult(input * input);
}

[Job("pool.pid")]
public sealed class PidJob : IJob<int, int>
{
    public ValueTask<int> RunAsync(int input, JobContext context) => ValueTask.FromResult(Environment.ProcessId);
}

[Job("pool.sleep")]
public sealed class SleepJob : IJob<int, int>
{
    public async ValueTask<int> RunAsync(int input, JobContext context)
    {
        await Task.Delay(input, context.CancellationToken);
        return input;
    }
}

[Job("pool.throws")]
public sealed class ThrowsJob : IJob<string, int>
{
    public ValueTask<int> RunAsync(string input, JobContext context) => throw new InvalidOperationException(input);
}

/// <summary>Fails on its first attempt(s) and succeeds from attempt N on: input is N.</summary>
[Job("pool.flaky")]
public sealed class FlakyJob : IJob<int, int>
{
    public ValueTask<int> RunAsync(int input, JobContext context) =>
        context.Attempt >= input ? ValueTask.FromResult(context.Attempt) : throw new InvalidOperationException($"attempt {context.Attempt}");
}

/// <summary>Ends its worker in the way its input names.</summary>
[Job("pool.crash")]
public sealed class CrashJob : IJob<string, int>
{
    public ValueTask<int> RunAsync(string input, JobContext context)
    {
        Console.Error.WriteLine($"crash job: about to {input}");
        switch (input)
        {
            case "exit3":
                Environment.Exit(3);
                break;
            case "kill9":
                Kill(Environment.ProcessId, 9);
                Thread.Sleep(Timeout.Infinite);
                break;
            case "stackoverflow":
                Recurse(0);
                break;
            case "failfast":
                Environment.FailFast("the crash job failed fast");
                break;
            case "background-exception":
                new Thread(() => throw new InvalidOperationException("thrown on a background thread")).Start();
                Thread.Sleep(Timeout.Infinite);
                break;
            case "oom":
                var blocks = new List<byte[]>();
                while (true)
                {
                    var block = new byte[16 * 1024 * 1024];
                    Array.Fill(block, (byte)1);
                    blocks.Add(block);
                }
        }

        return ValueTask.FromResult(0);
    }

    private static int Recurse(int depth) => Recurse(depth + 1) + 1;

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}

/// <summary>Spins forever, ignoring its token (input 0), or sleeps in native code ignoring it (input 1).</summary>
[Job("pool.runaway")]
public sealed class RunawayJob : IJob<int, int>
{
    public ValueTask<int> RunAsync(int input, JobContext context)
    {
        if (input == 1)
        {
            while (true)
            {
                NativeSleep(1000);
            }
        }

        var x = 0L;
        while (true)
        {
            x++;
        }
    }

    [DllImport("libc", EntryPoint = "sleep")]
    private static extern uint NativeSleep(uint seconds);
}
