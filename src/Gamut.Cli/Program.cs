namespace Gamut.Cli;

/// <summary>The gamut tool's entry point: dispatches to a sub-command.</summary>
public static class Program
{
    /// <summary>Runs the tool.</summary>
    /// <param name="args">The command line.</param>
    /// <returns>The exit status.</returns>
    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.Out.Write(Usage.Text);
            return args.Length == 0 ? 255 : 0;
        }

        if (args[0] is "-V" or "--version" or "version")
        {
            Console.Out.WriteLine($"gamut {Usage.Version}");
            return 0;
        }

        Console.Error.WriteLine($"gamut: unknown command '{args[0]}'");
        Console.Error.WriteLine("Try 'gamut --help'.");
        return 255;
    }
}
