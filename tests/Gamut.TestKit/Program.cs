namespace Gamut.TestKit;

/// <summary>The test kit's verbs. Each argument is one step, run in order: <c>testkit out 10 err 5 exit 3</c>.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var i = 0;
        while (i < args.Length)
        {
            switch (args[i++])
            {
                case "echo-args":
                    foreach (var a in args[i..])
                    {
                        Console.Out.WriteLine(a);
                    }

                    return 0;
                case "exit":
                    return int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture);
                default:
                    Console.Error.WriteLine($"testkit: unknown verb '{args[i - 1]}'");
                    return 100;
            }
        }

        return 0;
    }
}
