using System.Runtime.CompilerServices;
using Gamut.Cli.Run;

namespace Gamut.Cli;

/// <summary>The gamut tool's entry point: dispatches to a sub-command.</summary>
public static class Program
{
    /// <summary>Runs the tool.</summary>
    /// <param name="args">The command line.</param>
    /// <returns>The exit status.</returns>
    public static int Main(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.Write(Usage.Text);
            return RunCommand.OtherError;
        }

        switch (args[0])
        {
            case "-h" or "--help" or "help":
                Console.Out.Write(Usage.Text);
                return 0;
            case "-V" or "--version" or "version":
                Console.Out.WriteLine($"gamut {Usage.Version}");
                return 0;
            case "worker" or "status" or "ring" or "schedule" or "limit" or "dashboard" or "measure":
            case "run" when Redis.RedisRun.Requested(args):
                // The native build has no JIT (IsDynamicCodeSupported is a constant there, so the compiler drops the
                // in-process branch and everything only it reaches): these commands run in the JIT host.
                return RuntimeFeature.IsDynamicCodeSupported ? RunRedisCommand(args) : JitHost.Exec(args);
            case "run":
                return RunCommand.Execute(new ArraySegment<string>(args, 1, args.Length - 1));
            case "sem":
                return RunCommand.Execute(["--semaphore", .. args.AsSpan(1)]);
            default:
                Console.Error.WriteLine($"gamut: unknown command '{args[0]}'");
                Console.Error.WriteLine("Usage: gamut run [OPTIONS] COMMAND [ARGS...] ::: INPUTS...   (see 'gamut --help')");
                return RunCommand.OtherError;
        }
    }

    private static int RunRedisCommand(string[] args)
    {
        var rest = new ArraySegment<string>(args, 1, args.Length - 1);
        return args[0] switch
        {
            "worker" => Redis.WorkerCommand.Execute(rest),
            "status" => Redis.StatusCommand.Execute(rest),
            "ring" => Redis.RingCommand.Execute(rest),
            "schedule" => Redis.ScheduleCommand.Execute(rest),
            "limit" => Redis.LimitCommand.Execute(rest),
#if !GAMUT_NATIVE
            "dashboard" => Redis.DashboardCommand.Execute(rest),
#endif
            "measure" => Measure.MeasureCommand.Execute(rest),
            _ => Redis.RedisRun.Execute(rest),
        };
    }
}
