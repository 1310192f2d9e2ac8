using System.Globalization;
using System.Runtime.InteropServices;
using Gamut.Processes;

namespace Gamut.TestKit;

/// <summary>
/// Verbs that make the kit a host running commands through Gamut: a parent to kill (SP-5), or a parent
/// under a limit (SP-4) or under strace (no shell ran). They print what happened, one line per fact.
/// </summary>
internal static class Hosts
{
    /// <summary>host-children N MARKER KEEP: starts N `sleep 300` children marked with MARKER (KillOnParentExit = KEEP), prints "ready", waits.</summary>
    public static async Task<int> Children(int n, string marker, bool killOnParentExit)
    {
        var children = new List<ChildProcess>();
        for (var i = 0; i < n; i++)
        {
            children.Add(Command.Create("sleep", "300")
                .WithEnvironment("GAMUT_TEST_MARKER", marker)
                .WithKillOnParentExit(killOnParentExit)
                .Start());
        }

        Console.Out.WriteLine("ready");
        Console.Out.Flush();
        await Task.Delay(Timeout.Infinite);
        return 0;
    }

    /// <summary>host-run EXE ARGS...: runs one command (no watchdog) and prints its stdout.</summary>
    public static async Task<int> Run(string executable, string[] arguments)
    {
        var result = await Command.Create(executable, arguments).WithKillOnParentExit(false).WithThrowOnNonZeroExit(false).RunAsync();
        Console.Out.Write(result.StandardOutput);
        return result.ExitCode;
    }

    /// <summary>
    /// host-fd-exhaustion: (run under prlimit --nofile) opens /dev/null until EMFILE, then starts a command
    /// (expecting a typed error), closes the files and starts one again.
    /// </summary>
    public static async Task<int> FdExhaustion()
    {
        await Command.Create("true").RunAsync(); // the reactor, /dev/null and the watchdog are set up
        Report("start", "ok"); // the console opens its descriptor now, not when none is left
        try
        {
            throw new CommandResourceLimitException(null, "warm-up", 24);
        }
        catch (CommandException e) when (e.Message.Length > 0)
        {
        }

        var held = new List<FileStream>();
        try
        {
            while (true)
            {
                held.Add(new FileStream("/dev/null", FileMode.Open, FileAccess.Read));
            }
        }
        catch (IOException)
        {
        }

        // Leave three descriptors: the stdout pipe fits, the stderr pipe does not.
        for (var k = 0; k < 3; k++)
        {
            held[^1].Dispose();
            held.RemoveAt(held.Count - 1);
        }

        Report("exhausted", held.Count.ToString(CultureInfo.InvariantCulture));
        try
        {
            await Command.Create("true").RunAsync();
            Report("spawn", "succeeded");
        }
        catch (Exception e)
        {
            Report("spawn", $"{e.GetType().Name} {(e as CommandStartException)?.ErrorNumber} {e.Message}");
        }

        foreach (var f in held)
        {
            f.Dispose();
        }

        var after = await Command.Create("echo", "after").RunAsync();
        Report("after", after.StandardOutput.Trim());
        return 0;
    }

    /// <summary>
    /// host-pids-limit MARKER: waits for a line on stdin (the test moves it into a pids cgroup meanwhile),
    /// starts `sleep` children until one fails, reports, stops them all, and starts one more.
    /// </summary>
    public static async Task<int> PidsLimit(string marker)
    {
        await Command.Create("true").RunAsync();

        // At the limit no thread can be created either: have the runtime's threads exist beforehand.
        ThreadPool.SetMinThreads(16, 16);
        using (var barrier = new Barrier(16))
        {
            await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Factory.StartNew(() => barrier.SignalAndWait(), TaskCreationOptions.None)));
        }

        await Task.Delay(1);
        Report("waiting", Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        Console.In.ReadLine();
        var children = new List<ChildProcess>();
        try
        {
            for (var i = 0; i < 200; i++)
            {
                children.Add(Command.Create("sleep", "300").WithEnvironment("GAMUT_TEST_MARKER", marker).Start());
            }

            Report("spawn", "never failed");
        }
        catch (Exception e)
        {
            Report("spawn", $"{e.GetType().Name} {(e as CommandStartException)?.ErrorNumber} after {children.Count}: {e.Message}");
        }

        foreach (var child in children)
        {
            child.Kill();
        }

        foreach (var child in children)
        {
            await child.DisposeAsync();
        }

        var after = await Command.Create("echo", "after").RunAsync();
        Report("after", after.StandardOutput.Trim());
        return 0;
    }

    private static void Report(string key, string value)
    {
        Console.Out.WriteLine($"{key}: {value}");
        Console.Out.Flush();
    }
}
