using Gamut.Processes.Fallback;
using Gamut.Processes.Linux;

namespace Gamut.Processes.Internal;

/// <summary>Chooses the spawner: the native Linux one, or <c>System.Diagnostics.Process</c> elsewhere.</summary>
internal static class Spawner
{
    /// <summary>
    /// True where the native spawner cannot run (not Linux, glibc older than 2.34, kernel without pidfds),
    /// or when <c>GAMUT_SPAWNER=process</c> asks for the fallback (for tests and comparison).
    /// </summary>
    public static bool UsesFallback { get; } =
        !Libc.IsSupported || Environment.GetEnvironmentVariable("GAMUT_SPAWNER") == "process";

    public static IChildHandle Spawn(SpawnRequest request) =>
        UsesFallback ? ProcessSpawner.Spawn(request) : LinuxSpawner.Spawn(request);

    /// <summary>A pipe from one child to another, or null where only the parent can relay (the fallback).</summary>
    public static (ChildDescriptor Read, ChildDescriptor Write)? TryCreateChildPipe(Command command) =>
        UsesFallback ? null : LinuxSpawner.CreateChildPipe(command);
}
