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
            case "run" when Redis.RedisRun.Requested(args):
                return Redis.RedisRun.Execute(new ArraySegment<string>(args, 1, args.Length - 1));
            case "worker":
                return Redis.WorkerCommand.Execute(new ArraySegment<string>(args, 1, args.Length - 1));
            case "status":
                return Redis.StatusCommand.Execute(new ArraySegment<string>(args, 1, args.Length - 1));
            case "ring":
                return Redis.RingCommand.Execute(new ArraySegment<string>(args, 1, args.Length - 1));
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
}
