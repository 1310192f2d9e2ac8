using System.Reflection;

namespace Gamut.Cli;

/// <summary>The tool's help text and version.</summary>
internal static class Usage
{
    public static string Version { get; } =
        typeof(Usage).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public const string Text = """
        gamut — run work concurrently: many commands at once, locally or on Redis workers

        Usage:
          gamut run [OPTIONS] COMMAND [ARGS...] ::: INPUTS...   run COMMAND once per input (GNU parallel's interface)
          gamut --help                                           this help
          gamut --version                                        the version

        """;
}
