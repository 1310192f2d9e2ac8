using System.Runtime.InteropServices;

namespace Gamut.Cli;

/// <summary>
/// The hand-off from the native (ahead-of-time compiled) gamut to its JIT host: the same program built
/// framework-dependent in <c>jit/</c> beside the native binary. The commands that need a JIT — <c>worker</c> loads
/// user assemblies with <c>--load</c> and starts pool workers with <c>dotnet exec</c>; the Redis commands share its
/// reflection-based job serialisation — are carried out there, by <c>execv</c>: the same process id, the same
/// descriptors and signals, so callers (and <c>kill</c>) cannot tell the difference.
/// </summary>
internal static partial class JitHost
{
    /// <summary>Replaces this process with the JIT host given the same arguments; returns only on failure.</summary>
    /// <param name="args">The command line, as <c>Main</c> got it.</param>
    /// <returns>The exit status when the host could not be started.</returns>
    public static int Exec(string[] args)
    {
        var host = Path.Combine(AppContext.BaseDirectory, "jit", "Gamut.Cli");
        if (!File.Exists(host))
        {
            Console.Error.WriteLine($"gamut: '{args[0]}' runs in gamut's JIT host, which is missing ({host}); rebuild with ./gamut");
            return Run.RunCommand.OtherError;
        }

        // argv as C strings, null-terminated; never freed: on success the process image is replaced.
        var argv = new nint[args.Length + 2];
        argv[0] = Marshal.StringToCoTaskMemUTF8(host);
        for (var i = 0; i < args.Length; i++)
        {
            argv[i + 1] = Marshal.StringToCoTaskMemUTF8(args[i]);
        }

        var path = Marshal.StringToCoTaskMemUTF8(host);
        _ = Execv(path, argv);
        Console.Error.WriteLine($"gamut: could not start the JIT host {host}: {Marshal.GetLastPInvokeErrorMessage()}");
        return Run.RunCommand.OtherError;
    }

    [LibraryImport("libc", EntryPoint = "execv", SetLastError = true)]
    private static partial int Execv(nint path, [In] nint[] argv);
}
